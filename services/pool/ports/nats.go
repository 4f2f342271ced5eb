// Package ports connects the pool's use cases to NATS: the chat and payout consumers
// (JetStream, durable, pull) and the request/reply handlers the gateway and the
// roulette call (queue group "pool", shared by replicas).
package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"

	"github.com/mimiron/mgm/services/pool/app"
)

// Durable consumer names (shared by every replica) and the queue group.
const (
	ChatConsumer   = "pool-chat"
	PayoutConsumer = "pool-payout"
	QueueGroup     = "pool"
)

// ChatBatch is how many chat commands the pool applies in one transaction at most.
const ChatBatch = 128

// Handlers are the pool's request handlers.
func Handlers(s *app.Service) map[string]natsx.Handler {
	return map[string]natsx.Handler{
		events.RPCPoolMe:    natsx.Handle(s.Me),
		events.RPCPoolClaim: natsx.Handle(s.Claim),
		events.RPCPoolStats: natsx.HandleNone(s.Stats),
		events.RPCPoolDraw:  natsx.HandleOptional(s.Draw),
	}
}

// Chat applies `!twgold` chat commands in batches until ctx ends.
func Chat(js jetstream.JetStream, s *app.Service, log *zap.Logger) svc.Task {
	return func(ctx context.Context) error {
		c, err := natsx.EnsureConsumer(ctx, js, events.StreamChat.Name, jetstream.ConsumerConfig{
			Durable:       ChatConsumer,
			FilterSubject: events.ChatTwGold,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			MaxAckPending: 1000,
		})
		if err != nil {
			return err
		}
		return natsx.ConsumeBatches(ctx, c, log, ChatBatch, ChatBatchHandler(s))
	}
}

// Payouts folds payout events into eligibility until ctx ends.
func Payouts(js jetstream.JetStream, s *app.Service, log *zap.Logger) svc.Task {
	return func(ctx context.Context) error {
		// One wildcard filter rather than FilterSubjects: servers before 2.10 (Debian's
		// nats-server among them) refuse several filters; PayoutHandler skips the rest.
		c, err := natsx.EnsureConsumer(ctx, js, events.StreamPayout.Name, jetstream.ConsumerConfig{
			Durable:       PayoutConsumer,
			FilterSubject: "mgm.payout.>",
			DeliverPolicy: jetstream.DeliverAllPolicy,
			MaxAckPending: 1000,
		})
		if err != nil {
			return err
		}
		return natsx.Consume(ctx, c, log, 0, PayoutHandler(s))
	}
}

// PayoutHandler decodes a payout created/status-changed event and folds it into
// eligibility; the stream's other payout events (accepted, announced) are acknowledged
// unread.
func PayoutHandler(s *app.Service) natsx.MsgHandler {
	return func(ctx context.Context, msg jetstream.Msg) error {
		if sub := msg.Subject(); sub != events.PayoutCreated && sub != events.PayoutStatusChanged {
			return nil
		}
		var ev events.PayoutEvent
		env, err := events.Decode(msg.Data(), &ev)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "undecodable payout event")
		}
		return s.HandlePayout(ctx, env, ev)
	}
}
