// Package ports connects the payout use cases to NATS: the request/reply handlers the
// gateway and the roulette call, the consumer of posted reward announcements, and the
// wire form of payouts and their events. Handlers decode, call one use case and
// encode; nothing else.
package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/payout/app"
	"github.com/mimiron/mgm/services/payout/domain"
)

// Queue is the queue group every payout replica serves in.
const Queue = "payout"

// RewardConsumer is the durable consumer of mgm.notify.reward.posted.
const RewardConsumer = "payout-reward-posted"

// Handlers are the payout RPC handlers.
func Handlers(s *app.Service) map[string]natsx.Handler {
	return map[string]natsx.Handler{
		events.RPCPayoutCreate: natsx.Handle(func(ctx context.Context, req events.CreatePayoutRequest) (any, error) {
			np := domain.NewPayout{
				SpinCycleID:       req.SpinCycleID,
				TwitchUserID:      req.TwitchUserID,
				TwitchDisplayName: req.TwitchDisplayName,
				CharacterName:     req.CharacterName,
			}
			if req.DrawnAt != nil {
				np.DrawnAt = req.DrawnAt.UTC()
			}
			if req.EnrolledAt != nil {
				np.EnrolledAt = req.EnrolledAt.UTC()
			}
			return reply(s.Create(ctx, np))
		}),
		events.RPCPayoutStatus: natsx.Handle(func(ctx context.Context, req events.SetStatusRequest) (any, error) {
			return reply(s.SetStatus(ctx, req.ID, req.Status))
		}),
		events.RPCPayoutAccept: natsx.Handle(func(ctx context.Context, req events.AcceptRequest) (any, error) {
			return reply(s.Accept(ctx, req.ID, req.CharacterName))
		}),
		events.RPCPayoutGet: natsx.Handle(func(ctx context.Context, req events.GetPayoutRequest) (any, error) {
			return reply(s.Get(ctx, req.ID))
		}),
		events.RPCPayoutMyLast: natsx.Handle(func(ctx context.Context, req events.MyLastRequest) (any, error) {
			return reply(s.MyLast(ctx, req.TwitchUserID))
		}),
		events.RPCPayoutPending: natsx.HandleNone(func(ctx context.Context) ([]events.Payout, error) {
			list, err := s.Pending(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]events.Payout, 0, len(list))
			for _, p := range list {
				out = append(out, Payout(p))
			}
			return out, nil
		}),
	}
}

func reply(p *domain.Payout, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return Payout(p), nil
}

// RewardPosted folds helix-notifier's mgm.notify.reward.posted into
// isRewardSentAnnouncedToChat until ctx ends. Redeliveries are harmless: marking an
// announced payout again changes nothing.
func RewardPosted(b natsx.Bus, s *app.Service) svc.Task {
	return natsx.Durable(b, events.StreamNotify.Name, jetstream.ConsumerConfig{
		Durable:       RewardConsumer,
		FilterSubject: events.NotifyRewardPosted,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}, 0, func(ctx context.Context, msg jetstream.Msg) error {
		var n events.RewardNotice
		if _, err := natsx.DecodeEvent(msg, &n); err != nil {
			return err
		}
		_, err := s.MarkAnnounced(ctx, n.PayoutID, n.MessageID)
		return err
	})
}
