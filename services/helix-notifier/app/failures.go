package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// Operator lists the announcements that need attention and replays them. The CLI and
// the RPC handlers both use it.
type Operator struct {
	Repo       Repo
	Publish    Publisher
	Now        func() time.Time
	StaleAfter time.Duration
}

// Failures is every failed or unknown announcement, plus claims and pending records
// older than StaleAfter, oldest first.
func (o *Operator) Failures(ctx context.Context) ([]events.Announcement, error) {
	return o.Repo.Attention(ctx, o.Now().Add(-o.StaleAfter))
}

// Replay re-arms payoutID's announcement and publishes NotifyRewardReplay, which the
// notifier consumes like a Sent event: the marker is claimed again and the line posted
// at most once more. Replaying an "unknown" one is the operator's call that the line is
// not in chat. Posted announcements and live claims are refused (errs.Conflict).
func (o *Operator) Replay(ctx context.Context, payoutID string) (events.Announcement, error) {
	if payoutID == "" {
		return events.Announcement{}, errs.E(errs.Invalid, "payoutId is required")
	}
	now := o.Now()
	a, err := o.Repo.Rearm(ctx, payoutID, now.Add(-o.StaleAfter), now)
	if err != nil {
		return a, err
	}
	env, err := events.New("reward-replay-"+payoutID+"-"+uuid.NewString(), events.NotifyRewardReplay, "helix-notifier", now,
		events.RewardNotice{PayoutID: payoutID, CharacterName: a.CharacterName, Message: domain.Message(a.CharacterName)})
	if err != nil {
		return a, err
	}
	// If this publish fails the record stays pending and listed as stalled; replaying
	// again is safe.
	if err := o.Publish(ctx, env); err != nil {
		return a, errs.Wrap(errs.Unavailable, err, "replay of %s armed but not queued; run replay again", payoutID)
	}
	return a, nil
}
