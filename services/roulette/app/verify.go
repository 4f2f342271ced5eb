package app

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/roulette/domain"
)

// Candidate is GET /api/roulette/candidate: the newest cycle whose report is awaited.
func (a *Service) Candidate(ctx context.Context) (domain.Cycle, error) {
	return a.Repo.Awaiting(ctx, a.now())
}

// Report is a /who report ([MGM_WHO], the body of POST /api/roulette/verify-candidate).
type Report struct {
	SchemaVersion int
	SpinCycleID   string
	CharacterName string
	Online        bool
}

// Verdict is what a report did: the cycle after it, and its payout when it won.
type Verdict struct {
	Cycle  domain.Cycle
	Payout *Payout
}

// Verify judges a /who report against the cycle it names (received now, by the server's
// clock; the report's capturedAt is informational). An online report creates the payout
// while the cycle is locked, so concurrent repeats wait and then see the outcome; the
// payout service is idempotent per spinCycleId, so a retry after a lost reply finds the
// same payout. When the payout service refuses (active_payout_exists,
// lifetime_cap_reached) or is unreachable, that error is returned and nothing is
// recorded: the cycle stays open and, unless a later report succeeds, ends no_report.
func (a *Service) Verify(ctx context.Context, in Report) (Verdict, error) {
	r, err := domain.ParseReport(in.SchemaVersion, in.SpinCycleID, in.CharacterName, in.Online)
	if err != nil {
		return Verdict{}, err
	}
	now := a.now()
	var created *Payout
	var decided domain.Outcome
	c, err := a.Repo.UpdateCycle(ctx, r.SpinCycleID, func(c *domain.Cycle) (bool, error) {
		decided = ""
		v, err := c.Judge(r, now)
		if err != nil {
			return false, err
		}
		switch v {
		case domain.Repeat:
			return false, nil
		case domain.RecordOffline:
			decided = domain.Offline
			return true, c.CompleteOffline(now)
		case domain.CreatePayout:
			p, err := a.Payouts.Create(ctx, *c)
			if err != nil {
				return false, fmt.Errorf("create payout for cycle %s: %w", c.ID, err)
			}
			created = &p
			decided = domain.Winner
			return true, c.CompleteWinner(p.ID, now)
		}
		return false, fmt.Errorf("verify cycle %s: unknown verdict %d", c.ID, v)
	})
	if errs.Has(err, errs.NotFound) {
		return Verdict{}, errs.E(errs.OutOfSequence, "no spin cycle %s", r.SpinCycleID)
	}
	if err != nil {
		return Verdict{}, err
	}
	a.count(string(decided), 1)
	out := Verdict{Cycle: c}
	if created != nil {
		out.Payout = created
		a.Log.Info("cycle won", zap.String("spinCycleId", c.ID), zap.String("payoutId", created.ID))
		a.afterChange(ctx)
		return out, nil
	}
	if c.Outcome == domain.Winner {
		// A repeat: answer the payout as it is now.
		p, err := a.Payouts.Get(ctx, c.PayoutID)
		if err != nil {
			return Verdict{}, fmt.Errorf("read payout %s of cycle %s: %w", c.PayoutID, c.ID, err)
		}
		out.Payout = &p
		return out, nil
	}
	a.afterChange(ctx)
	return out, nil
}
