package journal

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CommandState is where a typed command stands (docs/product.md §9 "Typed is not
// delivered"): queued to be typed, typed and waiting for the addon's [MGM_ACK],
// acknowledged, or failed (typed too often without an acknowledgement; shown).
type CommandState string

const (
	CmdQueued CommandState = "queued"
	CmdTyped  CommandState = "typed"
	CmdAcked  CommandState = "acked"
	CmdFailed CommandState = "failed"
)

// Command is one command for the addon, kept until it is acknowledged (or failed), so a
// Desktop restart types what was not acknowledged again, with the same id.
type Command struct {
	Seq       uint64       `json:"seq"`
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`    // who, notify, gold, gift-items, gift-consent, gift-drop, ping
	Subject   string       `json:"subject"` // the spin cycle, payout or gift it is about
	Call      string       `json:"call"`
	State     CommandState `json:"state"`
	Attempts  int          `json:"attempts"`
	CreatedAt time.Time    `json:"createdAt"`
	TypedAt   *time.Time   `json:"typedAt,omitempty"`
	AckedAt   *time.Time   `json:"ackedAt,omitempty"`
	Note      string       `json:"note,omitempty"`
}

// AddCommand records a new command, queued.
func (j *Journal) AddCommand(c Command) (Command, error) {
	err := j.db.Update(func(tx *bolt.Tx) error {
		ids := tx.Bucket(bCmdIDs)
		if ids.Get([]byte(c.ID)) != nil {
			return fmt.Errorf("command id %s already used", c.ID)
		}
		b := tx.Bucket(bCmds)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.Seq, c.State, c.CreatedAt = seq, CmdQueued, j.now().UTC()
		if err := putCmd(b, c); err != nil {
			return err
		}
		return ids.Put([]byte(c.ID), u64(seq))
	})
	return c, err
}

// Commands lists the commands in the given states (all when none), oldest first.
func (j *Journal) Commands(states ...CommandState) ([]Command, error) {
	want := map[CommandState]bool{}
	for _, s := range states {
		want[s] = true
	}
	var out []Command
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCmds).ForEach(func(_, v []byte) error {
			var c Command
			if err := json.Unmarshal(v, &c); err != nil {
				return nil
			}
			if len(want) == 0 || want[c.State] {
				out = append(out, c)
			}
			return nil
		})
	})
	return out, err
}

// Command is the command with that id.
func (j *Journal) Command(id string) (Command, bool, error) {
	var c Command
	var ok bool
	err := j.db.View(func(tx *bolt.Tx) error {
		seq := tx.Bucket(bCmdIDs).Get([]byte(id))
		if seq == nil {
			return nil
		}
		v := tx.Bucket(bCmds).Get(seq)
		ok = v != nil && json.Unmarshal(v, &c) == nil
		return nil
	})
	return c, ok, err
}

// UpdateCommand changes the command with that id; false when there is none.
func (j *Journal) UpdateCommand(id string, fn func(*Command)) (Command, bool, error) {
	var c Command
	var ok bool
	err := j.db.Update(func(tx *bolt.Tx) error {
		seq := tx.Bucket(bCmdIDs).Get([]byte(id))
		if seq == nil {
			return nil
		}
		b := tx.Bucket(bCmds)
		if err := json.Unmarshal(b.Get(seq), &c); err != nil {
			return err
		}
		fn(&c)
		ok = true
		return putCmd(b, c)
	})
	return c, ok, err
}

// PruneCommands forgets acknowledged and failed commands made before the cut.
func (j *Journal) PruneCommands(age time.Duration) error {
	cut := j.now().UTC().Add(-age)
	return j.db.Update(func(tx *bolt.Tx) error {
		b, ids := tx.Bucket(bCmds), tx.Bucket(bCmdIDs)
		var drop []Command
		_ = b.ForEach(func(_, v []byte) error {
			var c Command
			if json.Unmarshal(v, &c) == nil && (c.State == CmdAcked || c.State == CmdFailed) && c.CreatedAt.Before(cut) {
				drop = append(drop, c)
			}
			return nil
		})
		for _, c := range drop {
			if err := b.Delete(u64(c.Seq)); err != nil {
				return err
			}
			if err := ids.Delete([]byte(c.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

func putCmd(b *bolt.Bucket, c Command) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	key := make([]byte, 8)
	binary.BigEndian.PutUint64(key, c.Seq)
	return b.Put(key, v)
}
