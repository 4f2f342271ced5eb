package natsx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
)

// StateBucket opens the shared state bucket (events.StateBucket: the small,
// always-current documents the gateway serves from memory), creating it (history 1,
// file storage) when missing. Services and replicas racing to create it all end with
// the bucket.
func StateBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	return openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: events.StateBucket, History: 1, Storage: jetstream.FileStorage})
}

// maxStateAttempts bounds PutState's compare-and-set retries under contention.
const maxStateAttempts = 10

// PutState writes doc to key with compare-and-set on the key's revision, unless the
// stored document is newer (a higher version) or the same bytes: a slower replica never
// overwrites a newer value. version reads a document's version; a lost race reads
// again and decides again.
func PutState[T any](ctx context.Context, kv jetstream.KeyValue, key string, doc T, version func(T) int64) error {
	val, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	var lastErr error
	for range maxStateAttempts {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err = kv.Create(ctx, key, val); err == nil {
				return nil
			}
			lastErr = err
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		var cur T
		if json.Unmarshal(e.Value(), &cur) == nil &&
			(version(cur) > version(doc) || bytes.Equal(e.Value(), val)) {
			return nil
		}
		if _, err = kv.Update(ctx, key, val, e.Revision()); err == nil {
			return nil
		}
		lastErr = err
	}
	return fmt.Errorf("write %s: too many concurrent writers: %w", key, lastErr)
}
