// Package app is the roulette's use cases: the scheduler Tick (draw the due boundary,
// give up on missed ones, expire unanswered cycles), the Desktop's candidate and
// verify-candidate, and the state snapshot the gateway serves.
package app

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/roulette/domain"
)

// Repository is the roulette's persistence. Every method is safe to call from several
// replicas at once; adapters.Postgres implements it.
type Repository interface {
	// EnsureCycle inserts c (pending) unless its boundary already has a cycle.
	EnsureCycle(ctx context.Context, c domain.Cycle) error
	// DrawPending locks the cycle id if it is still pending and no other replica holds
	// it, runs fn, and saves the cycle when fn returns nil. It reports false, without
	// calling fn, when the cycle is not pending or is being drawn elsewhere.
	DrawPending(ctx context.Context, id string, fn func(c *domain.Cycle) error) (bool, error)
	// UpdateCycle locks cycle id (waiting for other holders), runs fn, and saves the
	// cycle when fn reports a change. errs.NotFound when there is no such cycle.
	UpdateCycle(ctx context.Context, id string, fn func(c *domain.Cycle) (changed bool, err error)) (domain.Cycle, error)
	// MissPending marks pending cycles whose boundary is before cutoff as missed.
	MissPending(ctx context.Context, cutoff time.Time) (int, error)
	// ExpireOverdue completes with no_report every awaiting cycle whose deadline is
	// before now, returning them.
	ExpireOverdue(ctx context.Context, now time.Time) ([]domain.Cycle, error)
	// Awaiting is the newest cycle with a candidate, no outcome and a deadline not
	// before now; errs.NotFound when none.
	Awaiting(ctx context.Context, now time.Time) (domain.Cycle, error)
	// NextDeadline is the earliest deadline of an awaiting cycle.
	NextDeadline(ctx context.Context) (time.Time, bool, error)
	// Snapshot reads, consistently, the state version, the latest drawn cycle and the
	// latest completed one.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Unpublished lists committed events not yet acknowledged by JetStream.
	Unpublished(ctx context.Context) ([]Pending, error)
	// MarkPublished records that an event reached JetStream.
	MarkPublished(ctx context.Context, id string, kind EventKind) error
}

// Snapshot is the persisted state behind events.RouletteSnapshot.
type Snapshot struct {
	Version  int64
	Current  *domain.Cycle
	LastSpin *domain.Cycle
}

// EventKind names the two events a cycle publishes.
type EventKind string

const (
	EventDrawn     EventKind = "drawn"
	EventCompleted EventKind = "completed"
)

// Pending is an event to publish: the cycle as it is now and which event.
type Pending struct {
	Kind  EventKind
	Cycle domain.Cycle
}

// Pool draws one eligible member (the pool service over NATS).
type Pool interface {
	// Draw answers nil when nobody is eligible.
	Draw(ctx context.Context, spinCycleID string) (*domain.Candidate, int, error)
}

// Payouts creates and reads payouts (the payout service over NATS).
type Payouts interface {
	Create(ctx context.Context, req events.CreatePayoutRequest) (events.Payout, error)
	Get(ctx context.Context, id string) (events.Payout, error)
}

// Publisher sends events to JetStream and the snapshot to the state KV bucket.
type Publisher interface {
	Publish(ctx context.Context, env events.Envelope) error
	// PutSnapshot writes s unless the stored snapshot is newer (compare-and-set).
	PutSnapshot(ctx context.Context, s events.RouletteSnapshot) error
}

// App wires the use cases.
type App struct {
	Repo     Repository
	Pool     Pool
	Payouts  Payouts
	Pub      Publisher
	Interval time.Duration
	// DrawTimeout bounds one pool request; a failed draw is retried every RetryEvery
	// until the cycle's draw window closes.
	DrawTimeout time.Duration
	RetryEvery  time.Duration
	// MaxIdle is the longest the scheduler loop sleeps, so it also republishes events
	// and the snapshot that failed to go out, and notices other replicas' work.
	MaxIdle time.Duration
	Now     func() time.Time
	Log     *zap.Logger
}

// New builds an App with the default timings.
func New(repo Repository, pool Pool, payouts Payouts, pub Publisher, interval time.Duration, now func() time.Time, log *zap.Logger) *App {
	return &App{
		Repo: repo, Pool: pool, Payouts: payouts, Pub: pub,
		Interval:    interval,
		DrawTimeout: 2 * time.Second,
		RetryEvery:  min(time.Second, domain.DrawWindow(interval)/4),
		MaxIdle:     10 * time.Second,
		Now:         now,
		Log:         log,
	}
}

// now is the clock at PostgreSQL's precision, so what is stored, published and
// answered is the same instant.
func (a *App) now() time.Time { return norm(a.Now()) }

func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// CycleDTO is the wire form of a cycle.
func CycleDTO(c domain.Cycle) events.Cycle {
	out := events.Cycle{
		SpinCycleID:    c.ID,
		BoundaryAt:     c.Boundary,
		DrawnAt:        c.DrawnAt,
		VerifyDeadline: c.Deadline,
		Outcome:        string(c.Outcome),
		PayoutID:       c.PayoutID,
		CompletedAt:    c.CompletedAt,
	}
	if cd := c.Candidate; cd != nil {
		out.TwitchUserID = cd.TwitchUserID
		out.TwitchDisplayName = cd.TwitchDisplayName
		out.CharacterName = cd.CharacterName
	}
	return out
}

// afterChange publishes what a committed change produced. Failures are logged and left
// for the next Tick: the change itself is committed and the outbox remembers it.
func (a *App) afterChange(ctx context.Context) {
	if err := a.flush(ctx); err != nil {
		a.Log.Warn("publish roulette events, will retry", zap.Error(err))
	}
	if err := a.refreshSnapshot(ctx); err != nil {
		a.Log.Warn("write roulette snapshot, will retry", zap.Error(err))
	}
}
