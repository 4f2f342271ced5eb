package ports

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/eventsubws"
	"github.com/mimiron/mgm/pkg/twitch/reconcile"
	"github.com/mimiron/mgm/services/ingest/app"
)

// ChatHelix is what the WebSocket transport needs of the Helix client.
type ChatHelix interface {
	reconcile.Helix
	SenderID(ctx context.Context) (string, error)
}

// ChatSocket serves the EventSub WebSocket transport (docs/product.md §12, "Two
// transports"): it creates the session's channel.chat.message subscription and hands
// every chat message to the same use case as the webhook, keyed by the message id
// (metadata.message_id, the same on a resend, as Twitch-Eventsub-Message-Id is for a
// webhook redelivery), so the bus deduplicates both alike.
type ChatSocket struct {
	App           app.Service
	Helix         ChatHelix
	BroadcasterID string
	Log           *zap.Logger
	Metrics       *Metrics
}

var _ eventsubws.Handler = (*ChatSocket)(nil)

// Subscribe implements eventsubws.Handler.
func (s *ChatSocket) Subscribe(ctx context.Context, sessionID string) error {
	reader, err := s.Helix.SenderID(ctx)
	if err != nil {
		return err
	}
	sub, removed, err := reconcile.Session(ctx, s.Helix, s.BroadcasterID, reader, sessionID)
	for _, r := range removed {
		s.Log.Info("eventsub: removed the webhook subscription the WebSocket replaces", zap.String("subscriptionId", r.ID),
			zap.String("callback", r.Transport.Callback))
	}
	if err != nil {
		return err
	}
	s.Log.Info("eventsub: chat subscription created for the WebSocket session", zap.String("subscriptionId", sub.ID),
		zap.String("reader", reader))
	return nil
}

// Notification implements eventsubws.Handler. A store that is briefly unavailable is
// tried a few more times: a WebSocket notification is not redelivered.
func (s *ChatSocket) Notification(ctx context.Context, m eventsubws.Message) error {
	if m.Subscription.Type != eventsub.SubscriptionChatMessage {
		s.Metrics.Ignored.Inc()
		return nil
	}
	ev, err := eventsub.DecodeChatMessage(m.Event)
	if err != nil {
		s.Metrics.refused(errs.CodeOf(err))
		return err
	}
	var out app.Outcome
	for attempt := 0; ; attempt++ {
		out, err = s.App.Chat(ctx, m.ID, m.Timestamp, ChatMessage(ev))
		if err == nil || !errs.Temporary(errs.CodeOf(err)) || attempt == 3 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 250 * time.Millisecond)
	}
	if err != nil {
		s.Metrics.refused(errs.CodeOf(err))
		return err
	}
	switch out {
	case app.Published:
		s.Metrics.Published.Inc()
	case app.Duplicate:
		s.Metrics.Duplicates.Inc()
	default:
		s.Metrics.Ignored.Inc()
	}
	return nil
}

// Revocation implements eventsubws.Handler: a subscription that can be made again is
// made again on the same session; one that needs a new login is reported.
func (s *ChatSocket) Revocation(ctx context.Context, sessionID string, m eventsubws.Message) {
	s.Metrics.Revocations.Inc()
	need := reconcile.Revoked(m.Subscription.Status)
	if need.Action == reconcile.LogInAgain {
		s.Log.Error(need.Say, zap.String("subscriptionId", m.Subscription.ID), zap.String("reason", m.Subscription.Status))
		return
	}
	s.Log.Warn(need.Say, zap.String("subscriptionId", m.Subscription.ID), zap.String("reason", m.Subscription.Status))
	if err := s.Subscribe(ctx, sessionID); err != nil {
		s.Log.Error("eventsub: could not create the chat subscription again", zap.Error(err))
	}
}
