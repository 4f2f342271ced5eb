// Package ports connects the gift queue's use cases to NATS: the request/reply
// handlers the gateway calls (queue group "gift-queue") and the durable consumer of
// `!twgift` chat commands. Handlers decode, call one use case and encode.
package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/gift-queue/app"
	"github.com/mimiron/mgm/services/gift-queue/domain"
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
		events.RPCGiftCreate: natsx.Handle(func(ctx context.Context, req events.GiftCreateRequest) (events.GiftViewerRequest, error) {
			v, err := s.Create(ctx, app.CreateRequest{StreamerID: req.StreamerID, TwitchUserID: req.TwitchUserID,
				DisplayName: req.TwitchDisplayName, CharacterName: req.CharacterName, RequestID: req.RequestID})
			if err != nil {
				return events.GiftViewerRequest{}, err
			}
			return ViewerRequest(v), nil
		}),
		events.RPCGiftQueue: natsx.HandleOptional(func(ctx context.Context, req events.GiftQueueRequest) (events.GiftQueueSnapshot, error) {
			q, err := s.Queue(ctx, req.StreamerID, req.TwitchUserID)
			return Snapshot(q), err
		}),
		events.RPCGiftList: natsx.HandleOptional(func(ctx context.Context, req events.GiftListRequest) ([]events.GiftRequest, error) {
			list, err := s.List(ctx, req.StreamerID)
			out := make([]events.GiftRequest, 0, len(list))
			for _, r := range list {
				out = append(out, Request(r))
			}
			return out, err
		}),
		events.RPCGiftUpdate: natsx.Handle(func(ctx context.Context, req events.GiftUpdateRequest) (any, error) {
			u := app.UpdateRequest{StreamerID: req.StreamerID, ID: req.ID, Status: req.Status, Reason: req.Reason}
			if req.Items != nil {
				items := DomainItems(*req.Items)
				u.Items = &items
			}
			return reply(s.Update(ctx, u))
		}),
		events.RPCGiftSelect: natsx.Handle(func(ctx context.Context, req events.GiftSelectRequest) (any, error) {
			return reply(s.Select(ctx, req.StreamerID, req.ID, domain.Selection{ItemID: req.ItemID, ItemName: req.ItemName, Count: req.Count}))
		}),
		events.RPCGiftConfirm: natsx.Handle(func(ctx context.Context, req events.GiftConfirmRequest) (any, error) {
			return reply(s.Confirm(ctx, req.StreamerID, req.ID, req.Accepted))
		}),
	}
}

func reply(r *domain.Request, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return Request(r), nil
}

// Chat applies `!twgift` chat commands until ctx ends. A body that does not decode is
// poison (kept as a dead letter after a few tries); storage failures are retried.
func Chat(b natsx.Bus, s *app.Service) svc.Task {
	return natsx.Durable(b, events.StreamChat.Name, jetstream.ConsumerConfig{
		Durable:       ChatConsumer,
		FilterSubject: events.ChatTwGift,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	}, 0, func(ctx context.Context, msg jetstream.Msg) error {
		var c events.ChatCommand
		if _, err := natsx.DecodeEvent(msg, &c); err != nil {
			return err
		}
		return s.Chat(ctx, shared.ChatMessage{
			MessageID: c.MessageID, BroadcasterUserID: c.BroadcasterUserID, SourceBroadcasterUserID: c.SourceBroadcasterUserID,
			UserID: c.UserID, UserLogin: c.UserLogin, UserName: c.UserName, Text: c.Text, Badges: c.Badges,
		})
	})
}
