// Package ports connects the gift queue's use cases to NATS: the request/reply
// handlers the gateway calls (queue group "gift-queue") and the durable consumer of
// `!twgift` chat commands. Handlers decode, call one use case and encode.
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
	"github.com/mimiron/mgm/services/gift-queue/app"
)

// Queue is the queue group every replica serves in; ChatConsumer is the durable
// consumer of mgm.chat.command.twgift shared by the replicas.
const (
	Queue        = "gift-queue"
	ChatConsumer = "gift-queue-chat"
)

// Serve answers the RPCs in queue group "gift-queue"; the caller stops the responders.
// The queue and list bodies may be empty (the probe sends {} or nothing).
func Serve(nc *nats.Conn, a *app.Gifts, log *zap.Logger) (*natsx.Responders, error) {
	handlers := map[string]natsx.Handler{
		events.RPCGiftCreate:  natsx.Handle(a.Create),
		events.RPCGiftQueue:   natsx.HandleOptional(a.Queue),
		events.RPCGiftList:    natsx.HandleOptional(a.List),
		events.RPCGiftUpdate:  natsx.Handle(a.Update),
		events.RPCGiftSelect:  natsx.Handle(a.Select),
		events.RPCGiftConfirm: natsx.Handle(a.Confirm),
	}
	for subject, h := range handlers {
		handlers[subject] = natsx.WithTimeout(10*time.Second, h)
	}
	return natsx.ServeAll(nc, Queue, log, handlers)
}

// ConsumeChat applies `!twgift` chat commands until ctx ends. A body that does not
// decode is poison (terminated); storage failures are retried.
func ConsumeChat(ctx context.Context, js jetstream.JetStream, a *app.Gifts, log *zap.Logger) error {
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
	return natsx.Consume(ctx, c, log, func(ctx context.Context, msg jetstream.Msg) error {
		var cmd events.ChatCommand
		if _, err := events.Decode(msg.Data(), &cmd); err != nil {
			return errs.Wrap(errs.Invalid, err, "malformed chat command")
		}
		return a.Chat(ctx, cmd)
	})
}
