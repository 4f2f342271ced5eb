package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/helix-notifier/app"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// Source is the envelope source of helix-notifier's events.
const Source = "helix-notifier"

// JetStream publishes helix-notifier's notices on MGM_NOTIFY (app.Publisher). Each
// carries a deterministic id where a repeat must be stored once: a posted notice per
// payout, a failed notice per payout and attempt.
type JetStream struct {
	JS  jetstream.JetStream
	Now func() time.Time
}

var _ app.Publisher = JetStream{}

// Posted publishes mgm.notify.reward.posted (id "reward-posted-<payoutId>").
func (p JetStream) Posted(ctx context.Context, a *domain.Announcement) error {
	return p.publish(ctx, "reward-posted-"+a.PayoutID, events.NotifyRewardPosted, events.RewardNotice{
		PayoutID: a.PayoutID, CharacterName: a.CharacterName, Message: domain.Message(a.CharacterName),
		MessageID: a.MessageID, Attempts: a.Attempts,
	})
}

// Failed publishes mgm.notify.reward.failed (id "reward-failed-<payoutId>-<attempts>").
func (p JetStream) Failed(ctx context.Context, a *domain.Announcement, reason string) error {
	return p.publish(ctx, fmt.Sprintf("reward-failed-%s-%d", a.PayoutID, a.Attempts), events.NotifyRewardFailed, events.RewardNotice{
		PayoutID: a.PayoutID, CharacterName: a.CharacterName, Message: domain.Message(a.CharacterName),
		Reason: reason, Attempts: a.Attempts,
	})
}

// Replay publishes mgm.notify.reward.replay, a new request to announce (a fresh id
// each time: every replay an operator asks for is one).
func (p JetStream) Replay(ctx context.Context, a *domain.Announcement) error {
	return p.publish(ctx, "reward-replay-"+a.PayoutID+"-"+uuid.NewString(), events.NotifyRewardReplay, events.RewardNotice{
		PayoutID: a.PayoutID, CharacterName: a.CharacterName, Message: domain.Message(a.CharacterName),
	})
}

func (p JetStream) publish(ctx context.Context, id, subject string, n events.RewardNotice) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	env, err := events.New(id, subject, Source, now(), n)
	if err != nil {
		return err
	}
	_, err = natsx.PublishEvent(ctx, p.JS, env)
	return err
}
