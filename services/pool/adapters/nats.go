package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"

	"github.com/mimiron/mgm/services/pool/app"
)

// Sink publishes the pool's events to JetStream and its stats to the state KV bucket.
type Sink struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	atomic bool // the pool stream takes atomic batches: one disk sync per relay pass
}

var _ app.Sink = (*Sink)(nil)

// NewSink opens (creating when missing) the state bucket.
func NewSink(ctx context.Context, js jetstream.JetStream) (*Sink, error) {
	kv, err := StateBucket(ctx, js)
	if err != nil {
		return nil, err
	}
	return &Sink{js: js, kv: kv, atomic: natsx.AtomicAllowed(ctx, js, events.StreamPool.Name)}, nil
}

// StateBucket opens the state KV bucket, creating it (history 1, file storage) when missing.
func StateBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, events.StateBucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("open KV %s: %w", events.StateBucket, err)
	}
	kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: events.StateBucket, History: 1, Storage: jetstream.FileStorage})
	if err != nil {
		// Another service created it meanwhile.
		if kv2, err2 := js.KeyValue(ctx, events.StateBucket); err2 == nil {
			return kv2, nil
		}
		return nil, fmt.Errorf("create KV %s: %w", events.StateBucket, err)
	}
	return kv, nil
}

// Publish sends the events in order with Nats-Msg-Id = envelope id and waits for every
// acknowledgement, as one atomic batch when the server takes them; a retried batch is
// deduplicated by JetStream.
func (s *Sink) Publish(ctx context.Context, envs []events.Envelope) error {
	msgs := make([]*nats.Msg, len(envs))
	for i, env := range envs {
		m, err := events.Msg(env)
		if err != nil {
			return err
		}
		msgs[i] = m
	}
	for i, r := range natsx.PublishAll(ctx, s.js, msgs, s.atomic) {
		if r.Err != nil {
			return fmt.Errorf("publish %s: %w", envs[i].Type, r.Err)
		}
	}
	return nil
}

// PutStats writes st to the stats key with compare-and-set, unless the stored value is
// as new or newer: a slower replica never overwrites a newer value.
func (s *Sink) PutStats(ctx context.Context, st events.PoolStats) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 10; attempt++ {
		e, err := s.kv.Get(ctx, events.KeyPoolStats)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if _, err := s.kv.Create(ctx, events.KeyPoolStats, b); err == nil {
				return nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("create %s: %w", events.KeyPoolStats, err)
			}
			continue
		case err != nil:
			return fmt.Errorf("get %s: %w", events.KeyPoolStats, err)
		}
		var cur events.PoolStats
		if json.Unmarshal(e.Value(), &cur) == nil && cur.Version >= st.Version {
			return nil
		}
		if _, err := s.kv.Update(ctx, events.KeyPoolStats, b, e.Revision()); err == nil {
			return nil
		} else if !isWrongRevision(err) {
			return fmt.Errorf("update %s: %w", events.KeyPoolStats, err)
		}
	}
	return fmt.Errorf("update %s: too many concurrent writers", events.KeyPoolStats)
}

func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
	}
	return errors.Is(err, jetstream.ErrKeyExists)
}
