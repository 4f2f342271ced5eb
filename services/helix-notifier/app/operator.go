package app

import (
	"context"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// The operator's use cases: what needs a look, and a replay.

// Failures is every announcement an operator should look at (failed, unknown, and
// claims and pending records older than StaleAfter), oldest first, as they are to be
// reported.
func (s *Service) Failures(ctx context.Context) ([]domain.Announcement, error) {
	staleBefore := s.Now().Add(-s.S.StaleAfter)
	list, err := s.Repo.Unsettled(ctx)
	if err != nil {
		return nil, err
	}
	out := []domain.Announcement{}
	for _, a := range list {
		if a.NeedsAttention(staleBefore) {
			out = append(out, a.Reported(staleBefore))
		}
	}
	return out, nil
}

// Replay re-arms payoutID's announcement and publishes NotifyRewardReplay, which the
// notifier consumes like a Sent event: the announcement is claimed again and the line
// posted at most once more. Replaying an "unknown" one is the operator's call that the
// line is not in chat. Posted announcements and live claims are refused (errs.Conflict).
func (s *Service) Replay(ctx context.Context, payoutID string) (*domain.Announcement, error) {
	if payoutID == "" {
		return nil, errs.E(errs.Invalid, "payoutId is required")
	}
	now := s.Now()
	a, err := s.Repo.Update(ctx, payoutID, nil, func(a *domain.Announcement) error {
		return a.Rearm(now.Add(-s.S.StaleAfter), now)
	})
	if err != nil {
		return nil, err
	}
	// If this publish fails the record stays pending and listed as stalled; replaying
	// again is safe.
	if err := s.Publisher.Replay(ctx, a); err != nil {
		return a, errs.Wrap(errs.Unavailable, err, "replay of %s armed but not queued; run replay again", payoutID)
	}
	return a, nil
}
