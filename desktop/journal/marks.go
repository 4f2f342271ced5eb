package journal

// What the driver remembers besides the tags: the commands already typed (marks) and the
// payouts' character names.

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Typed reports whether a command was already typed for (what, id): "who" and a spin
// cycle id, "notify" and a payout id.
func (j *Journal) Typed(what, id string) (bool, error) {
	var ok bool
	err := j.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bTyped).Get([]byte(what+":"+id)) != nil
		return nil
	})
	return ok, err
}

// MarkTyped records that a command was typed for (what, id).
func (j *Journal) MarkTyped(what, id string) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		v, _ := j.now().UTC().MarshalText()
		return tx.Bucket(bTyped).Put([]byte(what+":"+id), v)
	})
}

// TypedIDs lists the ids marked for what (MarkTyped), in key order.
func (j *Journal) TypedIDs(what string) ([]string, error) {
	var ids []string
	prefix := []byte(what + ":")
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTyped).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		return nil
	})
	return ids, err
}

// SetName remembers a payout's character name (needed for confirm-acceptance).
func (j *Journal) SetName(payoutID, name string) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bNames)
		if string(b.Get([]byte(payoutID))) == name {
			return nil
		}
		return b.Put([]byte(payoutID), []byte(name))
	})
}

// Name is a payout's remembered character name, "" when unknown.
func (j *Journal) Name(payoutID string) (string, error) {
	var n string
	err := j.db.View(func(tx *bolt.Tx) error {
		n = string(tx.Bucket(bNames).Get([]byte(payoutID)))
		return nil
	})
	return n, err
}
