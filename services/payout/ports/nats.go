// Package ports connects the payout use cases to NATS: the request/reply handlers the
// gateway and the roulette call, and the consumer of posted reward announcements.
// Handlers decode, call one use case and encode; nothing else.
package ports

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/payout/app"
	"github.com/mimiron/mgm/services/payout/domain"
)

// Queue is the queue group every payout replica serves in.
const Queue = "payout"

// RewardConsumer is the durable consumer of mgm.notify.reward.posted.
const RewardConsumer = "payout-reward-posted"

// Serve subscribes the payout RPC handlers; the caller unsubscribes them.
func Serve(nc *nats.Conn, a *app.Payouts, log *zap.Logger) (*natsx.Responders, error) {
	handlers := map[string]natsx.Handler{
		events.RPCPayoutCreate: natsx.Handle(func(ctx context.Context, req events.CreatePayoutRequest) (any, error) {
			return dto(a.Create(ctx, domain.NewPayout{
				SpinCycleID:       req.SpinCycleID,
				TwitchUserID:      req.TwitchUserID,
				TwitchDisplayName: req.TwitchDisplayName,
				CharacterName:     req.CharacterName,
			}))
		}),
		events.RPCPayoutStatus: natsx.Handle(func(ctx context.Context, req events.SetStatusRequest) (any, error) {
			return dto(a.SetStatus(ctx, req.ID, req.Status))
		}),
		events.RPCPayoutAccept: natsx.Handle(func(ctx context.Context, req events.AcceptRequest) (any, error) {
			return dto(a.Accept(ctx, req.ID, req.CharacterName))
		}),
		events.RPCPayoutGet: natsx.Handle(func(ctx context.Context, req events.GetPayoutRequest) (any, error) {
			return dto(a.Get(ctx, req.ID))
		}),
		events.RPCPayoutMyLast: natsx.Handle(func(ctx context.Context, req events.MyLastRequest) (any, error) {
			return dto(a.MyLast(ctx, req.TwitchUserID))
		}),
		events.RPCPayoutPending: func(ctx context.Context, _ []byte) (any, error) {
			list, err := a.Pending(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]events.Payout, 0, len(list))
			for _, p := range list {
				out = append(out, app.ToDTO(p))
			}
			return out, nil
		},
	}
	return natsx.ServeAll(nc, Queue, log, handlers)
}

func dto(p *domain.Payout, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return app.ToDTO(p), nil
}

// ConsumeRewardPosted folds helix-notifier's mgm.notify.reward.posted into
// isRewardSentAnnouncedToChat until ctx ends. Redeliveries are harmless: marking an
// announced payout again changes nothing.
func ConsumeRewardPosted(ctx context.Context, js jetstream.JetStream, a *app.Payouts, log *zap.Logger) error {
	c, err := natsx.EnsureConsumer(ctx, js, events.StreamNotify.Name, jetstream.ConsumerConfig{
		Durable:       RewardConsumer,
		FilterSubject: events.NotifyRewardPosted,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxDeliver:    50,
	})
	if err != nil {
		return err
	}
	return natsx.Consume(ctx, c, log, func(ctx context.Context, msg jetstream.Msg) error {
		var n events.RewardNotice
		if _, err := events.Decode(msg.Data(), &n); err != nil {
			return errs.Wrap(errs.Invalid, err, "malformed reward notice")
		}
		_, err := a.MarkAnnounced(ctx, n.PayoutID, n.MessageID)
		return err
	})
}
