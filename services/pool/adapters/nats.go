package adapters

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
)

// Stats keeps the pool's stats document (key pool.stats of the state bucket) in step
// with the committed counters; the outbox relay pushes it after each pass.
type Stats struct {
	KV   jetstream.KeyValue
	Read func(ctx context.Context) (events.PoolStats, error)

	pushed int64 // the version last written; -1 before the first
}

// NewStats is a stats writer that has written nothing yet.
func NewStats(kv jetstream.KeyValue, read func(ctx context.Context) (events.PoolStats, error)) *Stats {
	return &Stats{KV: kv, Read: read, pushed: -1}
}

// Push writes the current stats when their version moved since the last push; the
// compare-and-set (natsx.PutState) keeps a slower replica from overwriting newer ones.
func (s *Stats) Push(ctx context.Context) error {
	st, err := s.Read(ctx)
	if err != nil {
		return err
	}
	if st.Version == s.pushed {
		return nil
	}
	if err := PutStats(ctx, s.KV, st); err != nil {
		return err
	}
	s.pushed = st.Version
	return nil
}

// PutStats writes st unless the stored value is newer.
func PutStats(ctx context.Context, kv jetstream.KeyValue, st events.PoolStats) error {
	return natsx.PutState(ctx, kv, events.KeyPoolStats, st, func(s events.PoolStats) int64 { return s.Version })
}
