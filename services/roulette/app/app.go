// Package app is the roulette's use cases: the scheduler Tick (draw the due boundary,
// give up on missed ones, expire unanswered cycles), the Desktop's candidate and
// verify-candidate, and the state snapshot the gateway serves.
package app

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"

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
}

// Snapshot is the roulette's state: the version (it grows with every committed change)
// and the cycles the state route shows.
type Snapshot struct {
	Version  int64
	Interval time.Duration
	Current  *domain.Cycle // the cycle of the latest boundary that drew
	LastSpin *domain.Cycle // the latest cycle with an outcome
}

// Pool draws one eligible member (the pool service over NATS).
type Pool interface {
	// Draw answers nil when nobody is eligible.
	Draw(ctx context.Context, spinCycleID string) (*domain.Candidate, int, error)
}

// Payout is a payout as the payout service answered for it: the roulette keeps its id
// and hands the rest back to the Desktop unread.
type Payout struct {
	ID   string
	Body json.RawMessage
}

// Payouts creates and reads payouts (the payout service over NATS).
type Payouts interface {
	// Create opens the payout of a cycle's candidate; a repeat for the same cycle
	// answers the payout created the first time.
	Create(ctx context.Context, c domain.Cycle) (Payout, error)
	Get(ctx context.Context, id string) (Payout, error)
}

// Snapshots keeps the state document the gateway serves from memory.
type Snapshots interface {
	// Put writes s unless the stored snapshot is newer (compare-and-set).
	Put(ctx context.Context, s Snapshot) error
}

// Outbox publishes the committed, unpublished events (the outbox relay).
type Outbox interface {
	Drain(ctx context.Context) (int, error)
}

// Service is the roulette's use cases.
type Service struct {
	Repo      Repository
	Pool      Pool
	Payouts   Payouts
	Snapshots Snapshots
	Outbox    Outbox
	Interval  time.Duration
	// DrawTimeout bounds one pool request; a failed draw is retried every RetryEvery
	// until the cycle's draw window closes.
	DrawTimeout time.Duration
	RetryEvery  time.Duration
	// MaxIdle is the longest the scheduler loop sleeps, so it also republishes events
	// and the snapshot that failed to go out, and notices other replicas' work.
	MaxIdle time.Duration
	Now     func() time.Time
	Log     *zap.Logger
	// Counted, when set, is told each cycle transition this replica committed: "drawn",
	// "empty", "missed", "winner", "offline", "no_report" (the draw outcomes metric).
	Counted func(outcome string, n int)
}

func (a *Service) count(outcome string, n int) {
	if a.Counted != nil && n > 0 {
		a.Counted(outcome, n)
	}
}

// New builds the service with the default timings.
func New(repo Repository, pool Pool, payouts Payouts, snapshots Snapshots, out Outbox, interval time.Duration, now func() time.Time, log *zap.Logger) *Service {
	return &Service{
		Repo: repo, Pool: pool, Payouts: payouts, Snapshots: snapshots, Outbox: out,
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
func (a *Service) now() time.Time { return norm(a.Now()) }

func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// afterChange publishes what a committed change produced. Failures are logged and left
// for the next Tick: the change itself is committed and the outbox remembers it.
func (a *Service) afterChange(ctx context.Context) {
	if err := a.flush(ctx); err != nil {
		a.Log.Warn("publish roulette events, will retry", zap.Error(err))
	}
	if err := a.refreshSnapshot(ctx); err != nil {
		a.Log.Warn("write roulette snapshot, will retry", zap.Error(err))
	}
}
