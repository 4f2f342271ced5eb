// Package outbox is the loop that moves a service's committed, unpublished events to
// JetStream: a pass right after a local commit (Kick) and a poll, so events committed
// by another replica or left behind by a crash are published too. What one batch is —
// which rows may be taken, in which order, how they are published and marked — stays
// in each service's adapter, with its own ordering guarantee.
package outbox

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// BatchSize is how many events one batch asks for.
const BatchSize = 100

// DefaultInterval is the poll when NewRelay is given none.
const DefaultInterval = 200 * time.Millisecond

// Batch publishes up to limit committed events and marks them published, in one
// transaction. It returns how many it published; an error stops the batch (what was
// published before it stays marked).
type Batch func(ctx context.Context, limit int) (int, error)

// Relay runs a service's Batch until nothing is left, whenever it is kicked and on a
// timer.
type Relay struct {
	name     string
	batch    Batch
	log      *zap.Logger
	interval time.Duration
	wake     chan struct{}
}

// NewRelay builds a relay polling every interval (DefaultInterval when 0). name starts
// its log lines ("payout relay").
func NewRelay(name string, batch Batch, log *zap.Logger, interval time.Duration) *Relay {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Relay{name: name, batch: batch, log: log, interval: interval, wake: make(chan struct{}, 1)}
}

// Kick wakes the relay; it never blocks.
func (r *Relay) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends. A failure is logged once, and again only after
// publishing worked in between.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	failing := false
	for {
		_, err := r.Drain(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			r.log.Warn(r.name+": publishing failed, will retry", zap.Error(err))
			failing = true
		case err == nil && failing:
			r.log.Info(r.name + ": publishing again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Drain publishes batches until nothing is left to publish or a publish fails.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.batch(ctx, BatchSize)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}
