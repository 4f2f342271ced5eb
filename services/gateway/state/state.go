// Package state answers GET /api/roulette/state from memory: it watches the pool's and
// the roulette's state documents in the MGM_STATE key-value bucket and computes the
// panel's view (countdown, phase, last result) from them and the current clock. No
// request reaches NATS or a database.
package state

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

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
)

// State is the body of GET /api/roulette/state.
type State struct {
	NextSpinAt           time.Time `json:"nextSpinAt"`
	ServerNow            time.Time `json:"serverNow"`
	SpinIntervalSeconds  int       `json:"spinIntervalSeconds"`
	PoolParticipantCount int       `json:"poolParticipantCount"`
	SpinPhase            string    `json:"spinPhase"`
	CurrentSpinCycleID   string    `json:"currentSpinCycleId"`
	LastSpin             *LastSpin `json:"lastSpin"`
}

// LastSpin is the latest cycle with an outcome; CharacterName is the winner's name and
// null when the cycle had no winner.
type LastSpin struct {
	SpinCycleID   string  `json:"spinCycleId"`
	Outcome       string  `json:"outcome"`
	CharacterName *string `json:"characterName"`
}

// Compute is the state at now from the latest documents (either may be nil: before the
// pool or the roulette wrote one, the pool counts as empty and the interval is the
// configured one).
func Compute(now time.Time, defaultInterval time.Duration, pool *events.PoolStats, r *events.RouletteSnapshot) State {
	now = now.UTC()
	interval := defaultInterval
	if r != nil && r.SpinIntervalSeconds > 0 {
		interval = time.Duration(r.SpinIntervalSeconds) * time.Second
	}
	size := 0
	if pool != nil {
		size = pool.PoolSize
	}
	st := State{
		NextSpinAt:           domain.NextBoundary(now, interval),
		ServerNow:            now,
		SpinIntervalSeconds:  int(interval / time.Second),
		PoolParticipantCount: size,
	}
	st.SpinPhase = phase(now, time.Duration(st.SpinIntervalSeconds)*time.Second, size, r)
	// The current cycle is the one the phase is about: the drawn cycle of the latest
	// boundary while it spins, awaits its report or shows its outcome; otherwise the
	// cycle the countdown points at, named before it draws (ids derive from boundaries).
	id := upcomingCycleID(st.NextSpinAt)
	switch st.SpinPhase {
	case domain.PhaseSpinning, domain.PhaseVerification, domain.PhaseCompleted:
		id = r.Current.SpinCycleID
	}
	st.CurrentSpinCycleID = id
	if r != nil && r.LastSpin != nil && r.LastSpin.Outcome != "" {
		ls := &LastSpin{SpinCycleID: r.LastSpin.SpinCycleID, Outcome: r.LastSpin.Outcome}
		if r.LastSpin.Outcome == events.OutcomeWinner && r.LastSpin.CharacterName != "" {
			name := r.LastSpin.CharacterName
			ls.CharacterName = &name
		}
		st.LastSpin = ls
	}
	return st
}

// phase is spinPhase at now: domain.Phase over the snapshot's current cycle, which
// counts as drawn when it has a candidate (a cycle whose pool had nobody eligible is
// current too, with no character name) and as completed when it has an outcome.
func phase(now time.Time, interval time.Duration, poolSize int, r *events.RouletteSnapshot) string {
	var boundary time.Time
	drawn, done := false, false
	if r != nil && r.Current != nil {
		boundary = r.Current.BoundaryAt
		drawn = r.Current.CharacterName != ""
		done = r.Current.Outcome != ""
	}
	return domain.Phase(now, interval, poolSize, boundary, drawn, done)
}

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
	for {
		err := v.watchOnce(ctx, js, log)
		v.live.Store(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn("state watch stopped; restarting", zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
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
