// Package sharedstate is the shared state: what every viewer's panel shows alike
// (countdown, phase, pool size, last result), computed from the pool's and the
// roulette's documents in the MGM_STATE bucket and the clock. The gateway serves it
// on GET /api/roulette/state and helix-notifier broadcasts it to the panels; both
// hold a View fed by Watch, so the route and the push can never disagree
// (docs/architecture.md, docs/product.md §4).
package sharedstate

import (
	"sync/atomic"
	"time"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
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

// cycleIDs remembers the id of the latest boundary named: every poll within an
// interval names the same upcoming cycle.
var cycleIDs atomic.Pointer[namedCycle]

type namedCycle struct {
	boundary time.Time
	id       string
}

func upcomingCycleID(boundary time.Time) string {
	if c := cycleIDs.Load(); c != nil && c.boundary.Equal(boundary) {
		return c.id
	}
	c := &namedCycle{boundary: boundary, id: domain.SpinCycleID(boundary)}
	cycleIDs.Store(c)
	return c.id
}
