// Package ports connects the pool's use cases to NATS: the chat and payout consumers
// (JetStream, durable, pull) and the request/reply handlers the gateway and the
// roulette call (queue group "pool", shared by replicas).
package ports

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"

	"github.com/mimiron/mgm/services/pool/app"
)

// Durable consumer names (shared by every replica).
const (
	ChatConsumer   = "pool-chat"
	PayoutConsumer = "pool-payout"
	QueueGroup     = "pool"
)

// Serve registers the request handlers; the returned function stops taking requests
// and lets those in flight finish.
func Serve(nc *nats.Conn, svc *app.Service, log *zap.Logger) (func(), error) {
	handlers := map[string]natsx.Handler{
		events.RPCPoolMe:    natsx.Handle(svc.Me),
		events.RPCPoolClaim: natsx.Handle(svc.Claim),
		events.RPCPoolStats: func(ctx context.Context, _ []byte) (any, error) {
			return svc.Stats(ctx)
		},
		events.RPCPoolDraw: natsx.HandleOptional(svc.Draw),
	}
	for subject, h := range handlers {
		handlers[subject] = natsx.WithTimeout(10*time.Second, h)
	}
	r, err := natsx.ServeAll(nc, QueueGroup, log, handlers)
	if err != nil {
		return nil, err
	}
	return func() { r.Stop(5 * time.Second) }, nil
}

// Consumers ensures the durable consumers the pool reads.
func Consumers(ctx context.Context, js jetstream.JetStream) (chat, payout jetstream.Consumer, err error) {
	chat, err = natsx.EnsureConsumer(ctx, js, events.StreamChat.Name, jetstream.ConsumerConfig{
		Durable:       ChatConsumer,
		FilterSubject: events.ChatTwGold,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	})
	if err != nil {
		return nil, nil, err
	}
	// One wildcard filter rather than FilterSubjects: servers before 2.10 (Debian's
	// nats-server among them) refuse several filters; PayoutHandler skips the rest.
	payout, err = natsx.EnsureConsumer(ctx, js, events.StreamPayout.Name, jetstream.ConsumerConfig{
		Durable:       PayoutConsumer,
		FilterSubject: "mgm.payout.>",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	})
	if err != nil {
		return nil, nil, err
	}
	return chat, payout, nil
}

// PayoutHandler decodes a payout created/status-changed event and folds it into
// eligibility; the stream's other payout events (accepted, announced) are acknowledged
// unread.
func PayoutHandler(svc *app.Service) natsx.MsgHandler {
	return func(ctx context.Context, msg jetstream.Msg) error {
		if s := msg.Subject(); s != events.PayoutCreated && s != events.PayoutStatusChanged {
			return nil
		}
		var ev events.PayoutEvent
		env, err := events.Decode(msg.Data(), &ev)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "undecodable payout event")
		}
		return svc.HandlePayout(ctx, env, ev)
	}
}
