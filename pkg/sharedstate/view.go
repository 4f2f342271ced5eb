package sharedstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
)

// View holds the latest documents and whether the watch that feeds them is live.
type View struct {
	interval time.Duration
	now      func() time.Time

	mu       sync.RWMutex
	pool     *events.PoolStats
	roulette *events.RouletteSnapshot

	live atomic.Bool
}

// NewView starts empty: the configured interval and an empty pool.
func NewView(defaultInterval time.Duration, now func() time.Time) *View {
	if now == nil {
		now = time.Now
	}
	return &View{interval: defaultInterval, now: now}
}

// Now is the state at the view's clock.
func (v *View) Now() State {
	v.mu.RLock()
	p, r := v.pool, v.roulette
	v.mu.RUnlock()
	return Compute(v.now(), v.interval, p, r)
}

// Live reports whether the watch has delivered the bucket's current values and is running.
func (v *View) Live() bool { return v.live.Load() }

// Apply folds one bucket entry in. A value with a lower version than the one held is
// a stale write and is ignored; a deleted key resets to "none yet".
func (v *View) Apply(key string, deleted bool, value []byte) error {
	switch key {
	case events.KeyPoolStats:
		var p *events.PoolStats
		if !deleted {
			p = new(events.PoolStats)
			if err := json.Unmarshal(value, p); err != nil {
				return fmt.Errorf("decode %s: %w", key, err)
			}
		}
		v.mu.Lock()
		if p == nil || v.pool == nil || p.Version >= v.pool.Version {
			v.pool = p
		}
		v.mu.Unlock()
	case events.KeyRouletteState:
		var r *events.RouletteSnapshot
		if !deleted {
			r = new(events.RouletteSnapshot)
			if err := json.Unmarshal(value, r); err != nil {
				return fmt.Errorf("decode %s: %w", key, err)
			}
		}
		v.mu.Lock()
		if r == nil || v.roulette == nil || r.Version >= v.roulette.Version {
			v.roulette = r
		}
		v.mu.Unlock()
	}
	return nil
}

// Watch keeps the view current until ctx ends, restarting the watch if it stops.
func (v *View) Watch(ctx context.Context, js jetstream.JetStream, log *zap.Logger) {
	natsx.Rewatch(ctx, log, "state watch", func(ctx context.Context) error { return v.watchOnce(ctx, js, log) },
		func() { v.live.Store(false) })
}

var errWatchClosed = errors.New("watch closed")

func (v *View) watchOnce(ctx context.Context, js jetstream.JetStream, log *zap.Logger) error {
	kv, err := natsx.StateBucket(ctx, js)
	if err != nil {
		return err
	}
	// WatchAll rather than WatchFiltered on the two keys: servers before 2.10 (Debian's
	// nats-server among them) refuse several filter subjects. Apply skips other keys.
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch %s: %w", events.StateBucket, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return errWatchClosed
			}
			if e == nil { // all current values delivered
				v.live.Store(true)
				continue
			}
			deleted := e.Operation() == jetstream.KeyValueDelete || e.Operation() == jetstream.KeyValuePurge
			if err := v.Apply(e.Key(), deleted, e.Value()); err != nil {
				log.Warn("ignoring malformed state document", zap.String("key", e.Key()), zap.Error(err))
			}
		}
	}
}
