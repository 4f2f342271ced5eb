// Package ports connects the gift queue's use cases to NATS: the request/reply
// handlers the gateway calls (queue group "gift-queue") and the durable consumer of
// `!twgift` chat commands. Handlers decode, call one use case and encode.
package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/gift-queue/app"
)

// Queue is the queue group every replica serves in; ChatConsumer is the durable
// consumer of mgm.chat.command.twgift shared by the replicas.
const (
	Queue        = "gift-queue"
	ChatConsumer = "gift-queue-chat"
)

// Handlers are the gift queue's RPC handlers. The queue and list bodies may be empty
// (a probe sends {} or nothing).
func Handlers(s *app.Service) map[string]natsx.Handler {
	return map[string]natsx.Handler{
		events.RPCGiftCreate:  natsx.Handle(s.Create),
		events.RPCGiftQueue:   natsx.HandleOptional(s.Queue),
		events.RPCGiftList:    natsx.HandleOptional(s.List),
		events.RPCGiftUpdate:  natsx.Handle(s.Update),
		events.RPCGiftSelect:  natsx.Handle(s.Select),
		events.RPCGiftConfirm: natsx.Handle(s.Confirm),
	}
}

// Chat applies `!twgift` chat commands until ctx ends. A body that does not decode is
// poison (terminated); storage failures are retried.
func Chat(js jetstream.JetStream, s *app.Service, log *zap.Logger) svc.Task {
	return func(ctx context.Context) error {
		c, err := natsx.EnsureConsumer(ctx, js, events.StreamChat.Name, jetstream.ConsumerConfig{
			Durable:       ChatConsumer,
			FilterSubject: events.ChatTwGift,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			MaxAckPending: 1000,
			MaxDeliver:    50,
		})
		if err != nil {
			return err
		}
		return natsx.Consume(ctx, c, log, 0, func(ctx context.Context, msg jetstream.Msg) error {
			var cmd events.ChatCommand
			if _, err := natsx.DecodeEvent(msg, &cmd); err != nil {
				return err
			}
			return s.Chat(ctx, cmd)
		})
	}
}
