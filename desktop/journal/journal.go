// Package journal is the Desktop's durable memory, one bbolt file: the chat log position,
// every tag seen (and whether it was delivered), and which commands were already typed.
//
// bbolt because a tag and the log position after it must be written in ONE fsync'd
// transaction: recording the tag first and then the position (or the reverse) in two
// files leaves a window in which a crash either replays the tag or loses it. A bbolt
// transaction commits both or neither, and a tag's key doubles as its "seen once" index.
package journal

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mimiron/mgm/desktop/logtail"
	"github.com/mimiron/mgm/desktop/tags"
)

var (
	bMeta    = []byte("meta")
	bTags    = []byte("tags")   // key → Record
	bQueue   = []byte("queue")  // seq → key, the records still to deliver, in order seen
	bTyped   = []byte("typed")  // "<what>:<id>" → time typed
	bNames   = []byte("names")  // payout id → character name
	bPieces  = []byte("pieces") // gift id → pieces of a split [MGM_ITEMS] list
	bCmds    = []byte("cmds")   // seq → Command, every command to type, in order made
	bCmdIDs  = []byte("cmdids") // command id → seq
	allBkts  = [][]byte{bMeta, bTags, bQueue, bTyped, bNames, bPieces, bCmds, bCmdIDs}
	keyPosPf = "logpos:"
)

// State is where a tag's delivery stands.
type State string

const (
	StatePending State = "pending" // waiting to be delivered (or retried)
	StateDone    State = "done"    // the backend took it (or it needed no call)
	StateFailed  State = "failed"  // permanently refused; shown to the streamer
	StateSkipped State = "skipped" // nothing to deliver it to (gift routes switched off)
)

// Record is one tag as the journal keeps it.
type Record struct {
	Seq       uint64          `json:"seq"`
	Key       string          `json:"key"`
	Kind      tags.Kind       `json:"kind"`
	ID        string          `json:"id"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	Line      string          `json:"line"`
	SeenAt    time.Time       `json:"seenAt"`
	State     State           `json:"state"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"lastError,omitempty"`
	DoneAt    *time.Time      `json:"doneAt,omitempty"`
	Note      string          `json:"note,omitempty"`
}

// Found is a tag with the line it was read from.
type Found struct {
	Tag  tags.Tag
	Line string
}

// Journal is the open store. Safe for concurrent use.
type Journal struct {
	db  *bolt.DB
	now func() time.Time
}

// Open opens (or creates) the journal file.
func Open(path string) (*Journal, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBkts {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init journal: %w", err)
	}
	return &Journal{db: db, now: time.Now}, nil
}

// Close closes the file.
func (j *Journal) Close() error { return j.db.Close() }

// Position is the saved position in the log at logPath, nil when there is none (a
// first run for that file).
func (j *Journal) Position(logPath string) (*logtail.Position, error) {
	var p *logtail.Position
	err := j.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get([]byte(keyPosPf + logPath))
		if v == nil {
			return nil
		}
		p = new(logtail.Position)
		return json.Unmarshal(v, p)
	})
	return p, err
}

// Commit records the tags read from a batch of lines and the log position after them,
// in one transaction. Tags already known (same Key) are ignored; local says which kinds
// need no delivery (recorded done at once). Pieces of a split item list are kept until
// the list is whole, then recorded as one tag. It returns the records it created.
func (j *Journal) Commit(logPath string, pos *logtail.Position, found []Found, local func(tags.Kind) bool) ([]Record, error) {
	var created []Record
	now := j.now().UTC()
	err := j.db.Update(func(tx *bolt.Tx) error {
		created = created[:0]
		tb, qb := tx.Bucket(bTags), tx.Bucket(bQueue)
		for _, f := range found {
			t := f.Tag
			if t.Kind == tags.Items && t.Parts > 0 {
				whole, ok, err := addPiece(tx.Bucket(bPieces), t)
				if err != nil || !ok {
					if err != nil {
						return err
					}
					continue
				}
				t = whole
			}
			key := []byte(t.Key())
			if tb.Get(key) != nil {
				continue
			}
			seq, err := tb.NextSequence()
			if err != nil {
				return err
			}
			r := Record{Seq: seq, Key: t.Key(), Kind: t.Kind, ID: t.ID, Payload: t.Payload, Line: f.Line, SeenAt: now, State: StatePending}
			if local != nil && local(t.Kind) {
				r.State, r.DoneAt = StateDone, &now
			} else if err := qb.Put(u64(seq), key); err != nil {
				return err
			}
			if err := put(tb, key, r); err != nil {
				return err
			}
			created = append(created, r)
		}
		if pos != nil {
			v, err := json.Marshal(pos)
			if err != nil {
				return err
			}
			return tx.Bucket(bMeta).Put([]byte(keyPosPf+logPath), v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal commit: %w", err)
	}
	return created, nil
}

type piece struct {
	Part  int    `json:"part"`
	Parts int    `json:"parts"`
	Text  string `json:"text"`
}

func addPiece(b *bolt.Bucket, t tags.Tag) (tags.Tag, bool, error) {
	var held []piece
	if v := b.Get([]byte(t.ID)); v != nil {
		if err := json.Unmarshal(v, &held); err != nil {
			return tags.Tag{}, false, err
		}
	}
	keep := []piece{{Part: t.Part, Parts: t.Parts, Text: string(t.Payload)}}
	for _, h := range held {
		if h.Parts == t.Parts && h.Part != t.Part {
			keep = append(keep, h)
		}
	}
	var a tags.Assembler
	for _, p := range keep {
		whole, ok := a.Add(tags.Tag{Kind: tags.Items, ID: t.ID, Payload: json.RawMessage(p.Text), Part: p.Part, Parts: p.Parts})
		if ok {
			return whole, true, b.Delete([]byte(t.ID))
		}
	}
	v, err := json.Marshal(keep)
	if err != nil {
		return tags.Tag{}, false, err
	}
	return tags.Tag{}, false, b.Put([]byte(t.ID), v)
}

// Pending lists the records still to deliver, oldest first.
func (j *Journal) Pending() ([]Record, error) {
	var out []Record
	err := j.db.View(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bTags)
		return tx.Bucket(bQueue).ForEach(func(_, key []byte) error {
			var r Record
			if v := tb.Get(key); v != nil {
				if err := json.Unmarshal(v, &r); err != nil {
					return err
				}
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}

// Get reads one record.
func (j *Journal) Get(key string) (Record, bool, error) {
	var r Record
	var ok bool
	err := j.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bTags).Get([]byte(key))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &r)
	})
	return r, ok, err
}

// Attempted counts a failed delivery attempt that will be retried.
func (j *Journal) Attempted(key string, lastErr string) error {
	return j.update(key, func(r *Record) {
		r.Attempts++
		r.LastError = lastErr
	})
}

// Finish ends a record's delivery: done, failed or skipped, with a note for the
// streamer. It leaves the delivery queue.
func (j *Journal) Finish(key string, state State, note string) error {
	if state == StatePending {
		return errors.New("journal: Finish needs a final state")
	}
	now := j.now().UTC()
	return j.db.Update(func(tx *bolt.Tx) error {
		r, err := updateIn(tx, key, func(r *Record) {
			r.Attempts++
			r.State, r.Note, r.DoneAt = state, note, &now
			if state == StateDone {
				r.LastError = ""
			}
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bQueue).Delete(u64(r.Seq))
	})
}

func (j *Journal) update(key string, fn func(*Record)) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		_, err := updateIn(tx, key, fn)
		return err
	})
}

// updateIn loads the record of key, lets fn change it and stores it, within tx.
func updateIn(tx *bolt.Tx, key string, fn func(*Record)) (Record, error) {
	tb := tx.Bucket(bTags)
	v := tb.Get([]byte(key))
	if v == nil {
		return Record{}, fmt.Errorf("journal: no record %q", key)
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return Record{}, err
	}
	fn(&r)
	return r, put(tb, []byte(key), r)
}

// Recent lists the latest n records, newest first.
func (j *Journal) Recent(n int) ([]Record, error) {
	var out []Record
	err := j.db.View(func(tx *bolt.Tx) error {
		var all []Record
		err := tx.Bucket(bTags).ForEach(func(_, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			all = append(all, r)
			return nil
		})
		sort.Slice(all, func(a, b int) bool { return all[a].Seq > all[b].Seq })
		if len(all) > n {
			all = all[:n]
		}
		out = all
		return err
	})
	return out, err
}

// Prune forgets finished records and typed marks older than age, so the file does not
// grow forever. Records still to deliver are kept whatever their age.
func (j *Journal) Prune(age time.Duration) error {
	if err := j.PruneCommands(age); err != nil {
		return err
	}
	cut := j.now().UTC().Add(-age)
	return j.db.Update(func(tx *bolt.Tx) error {
		err := deleteWhere(tx.Bucket(bTags), func(_, v []byte) bool {
			var r Record
			return json.Unmarshal(v, &r) == nil && r.State != StatePending && r.DoneAt != nil && r.DoneAt.Before(cut)
		})
		if err != nil {
			return err
		}
		return deleteWhere(tx.Bucket(bTyped), func(_, v []byte) bool {
			var at time.Time
			return at.UnmarshalText(v) == nil && at.Before(cut)
		})
	})
}

// deleteWhere deletes the keys of b whose entry drop says to (bbolt forbids deleting
// while ForEach walks the bucket, so the keys are collected first).
func deleteWhere(b *bolt.Bucket, drop func(k, v []byte) bool) error {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if drop(k, v) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func put(b *bolt.Bucket, key []byte, r Record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(key, v)
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}
