// Package app holds the payout service's use cases: create, change status, accept,
// announce, expire, and the queries. Rules are the domain's; transactions are the
// repository's; wire types are the ports'.
package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/payout/domain"
)

// Repository is the payout repository (adapters.Postgres).
type Repository interface {
	// Create runs decide under the user's lock with the payout of the same spin cycle
	// (nil when none) and stores the events of the payout it returns.
	Create(ctx context.Context, req domain.NewPayout, decide func(existing *domain.Payout, h domain.Holder) (*domain.Payout, error)) (*domain.Payout, error)
	// Update loads a payout under its owner's lock, runs fn and stores its events.
	Update(ctx context.Context, id string, fn func(p *domain.Payout) error) (*domain.Payout, error)
	// ExpireDue runs expire on up to limit active payouts created before cutoff.
	ExpireDue(ctx context.Context, cutoff time.Time, limit int, expire func(p *domain.Payout) bool) (int, error)
	Get(ctx context.Context, id string) (*domain.Payout, error)
	LatestOf(ctx context.Context, twitchUserID string) (*domain.Payout, error)
	Active(ctx context.Context) ([]*domain.Payout, error)
}

// Service is the set of payout use cases.
type Service struct {
	store     Repository
	clock     func() time.Time
	committed func()
}

// New builds the use cases on store with clock; committed (may be nil) is called after
// every successful write so the relay publishes without waiting for its next poll.
func New(store Repository, clock func() time.Time, committed func()) *Service {
	if clock == nil {
		clock = time.Now
	}
	if committed == nil {
		committed = func() {}
	}
	return &Service{store: store, clock: clock, committed: committed}
}

// now is the clock in UTC at PostgreSQL's precision, so a payout reads back exactly as
// it was returned when created.
func (a *Service) now() time.Time { return a.clock().UTC().Truncate(time.Microsecond) }

// Create opens the Pending payout of a spin cycle's winner; a repeat for the same
// cycle returns the payout created the first time.
func (a *Service) Create(ctx context.Context, req domain.NewPayout) (*domain.Payout, error) {
	id, now := uuid.NewString(), a.now()
	p, err := a.store.Create(ctx, req, func(existing *domain.Payout, h domain.Holder) (*domain.Payout, error) {
		p, _, err := domain.Create(existing, h, id, req, now)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	a.committed()
	return p, nil
}

// SetStatus is PATCH /api/payouts/{id}/status by the Desktop.
func (a *Service) SetStatus(ctx context.Context, id, status string) (*domain.Payout, error) {
	to, err := domain.ParseStatus(status)
	if err != nil {
		return nil, err
	}
	id, err = checkID(id)
	if err != nil {
		return nil, err
	}
	now := a.now()
	p, err := a.store.Update(ctx, id, func(p *domain.Payout) error { return p.ChangeStatus(to, domain.ByClient, now) })
	if err != nil {
		return nil, err
	}
	a.committed()
	return p, nil
}

// Accept is POST /api/payouts/{id}/confirm-acceptance.
func (a *Service) Accept(ctx context.Context, id, characterName string) (*domain.Payout, error) {
	id, err := checkID(id)
	if err != nil {
		return nil, err
	}
	now := a.now()
	p, err := a.store.Update(ctx, id, func(p *domain.Payout) error { return p.Accept(characterName, now) })
	if err != nil {
		return nil, err
	}
	a.committed()
	return p, nil
}

// MarkAnnounced folds a posted reward announcement into the payout (idempotent).
func (a *Service) MarkAnnounced(ctx context.Context, id, messageID string) (*domain.Payout, error) {
	id, err := checkID(id)
	if err != nil {
		return nil, err
	}
	now := a.now()
	p, err := a.store.Update(ctx, id, func(p *domain.Payout) error { p.MarkAnnounced(messageID, now); return nil })
	if err != nil {
		return nil, err
	}
	a.committed()
	return p, nil
}

// SweepBatch is how many payouts one sweep transaction expires at most.
const SweepBatch = 100

// Sweep expires every active payout older than 24 hours at the clock's now and
// reports how many it expired. Replicas may sweep at once: each takes the owners the
// others have not locked.
func (a *Service) Sweep(ctx context.Context) (int, error) {
	now := a.now()
	total := 0
	for {
		n, err := a.store.ExpireDue(ctx, now.Add(-domain.ExpiryAge), SweepBatch, func(p *domain.Payout) bool { return p.Expire(now) })
		total += n
		if n > 0 {
			a.committed()
		}
		if err != nil || n < SweepBatch {
			return total, err
		}
	}
}

// Get is one payout.
func (a *Service) Get(ctx context.Context, id string) (*domain.Payout, error) {
	id, err := checkID(id)
	if err != nil {
		return nil, err
	}
	return a.store.Get(ctx, id)
}

// MyLast is the viewer's latest payout, not_found when none.
func (a *Service) MyLast(ctx context.Context, twitchUserID string) (*domain.Payout, error) {
	if twitchUserID == "" {
		return nil, errs.E(errs.Invalid, "twitchUserId is required")
	}
	return a.store.LatestOf(ctx, twitchUserID)
}

// Pending is the Desktop's list: Pending and InProgress payouts, oldest first.
func (a *Service) Pending(ctx context.Context) ([]*domain.Payout, error) {
	return a.store.Active(ctx)
}

// checkID answers not_found for ids that cannot name a payout (they are UUIDs) and
// returns the id in canonical form.
func checkID(id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", errs.E(errs.NotFound, "payout not found")
	}
	return u.String(), nil
}
