package app

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
)

// Outbox is the committed-but-unpublished side of the repository.
type Outbox interface {
	// RelayOutbox hands the oldest unpublished events (at most max) to publish and
	// deletes them when publish succeeds; it returns how many were relayed.
	RelayOutbox(ctx context.Context, max int, publish func([]events.Envelope) error) (int, error)
	Stats(ctx context.Context) (events.PoolStats, error)
}

// Sink is where events and the stats document go (JetStream and its KV store).
type Sink interface {
	Publish(ctx context.Context, envs []events.Envelope) error
	// PutStats writes st unless the stored value has the same or a newer version.
	PutStats(ctx context.Context, st events.PoolStats) error
}

// Relay moves committed events from the outbox to JetStream and keeps the stats KV key
// current. It runs after every change (Kick) and on a timer, so events committed by a
// replica that died before relaying are published by whichever replica runs next.
type Relay struct {
	Outbox   Outbox
	Sink     Sink
	Log      *zap.Logger
	Interval time.Duration // timer pass; default 1 s

	kick       chan struct{}
	lastPushed int64
}

// NewRelay builds a relay.
func NewRelay(o Outbox, s Sink, log *zap.Logger) *Relay {
	return &Relay{Outbox: o, Sink: s, Log: log, Interval: time.Second, kick: make(chan struct{}, 1), lastPushed: -1}
}

// Kick asks for a pass soon; it never blocks.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run passes until ctx ends, starting with one that refreshes the stats.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		if err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("outbox relay pass failed, will retry", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-t.C:
		}
	}
}

// Pass publishes everything in the outbox, then the stats if they changed.
func (r *Relay) Pass(ctx context.Context) error {
	for {
		n, err := r.Outbox.RelayOutbox(ctx, 256, func(envs []events.Envelope) error {
			return r.Sink.Publish(ctx, envs)
		})
		if err != nil {
			return err
		}
		if n < 256 {
			break
		}
	}
	st, err := r.Outbox.Stats(ctx)
	if err != nil {
		return err
	}
	if st.Version == r.lastPushed {
		return nil
	}
	if err := r.Sink.PutStats(ctx, st); err != nil {
		return err
	}
	r.lastPushed = st.Version
	return nil
}
