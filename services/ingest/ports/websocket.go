package ports

import (
	"context"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/eventsubws"
	"github.com/mimiron/mgm/pkg/twitch/reconcile"
	"github.com/mimiron/mgm/services/ingest/app"
)

// ChatHelix is what the WebSocket transport needs of the Helix client.
type ChatHelix interface {
	reconcile.SessionHelix
	SenderID(ctx context.Context) (string, error)
}

// ChatSocket serves the EventSub WebSocket transport (docs/product.md §12, "Two
// transports"): it creates the session's channel.chat.message subscription and hands
// every chat command to the Backlog, keyed by the message id (metadata.message_id, the
// same on a resend, as Twitch-Eventsub-Message-Id is for a webhook redelivery), so the
// bus deduplicates both alike. It never waits for the bus: the socket must go on being
// read while the bus is away.
type ChatSocket struct {
	App           app.Service
	Backlog       *Backlog
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

// Notification implements eventsubws.Handler: a chat command is kept in the Backlog
// until the bus stores it (Twitch does not send a WebSocket notification again);
// ordinary chat is counted and forgotten. It returns at once.
func (s *ChatSocket) Notification(_ context.Context, m eventsubws.Message) error {
	if m.Subscription.Type != eventsub.SubscriptionChatMessage {
		s.Metrics.Ignored.Inc()
		return nil
	}
	ev, err := eventsub.DecodeChatMessage(m.Event)
	if err != nil {
		s.Metrics.refused(errs.CodeOf(err))
		return err
	}
	c, ok := s.App.Command(m.ID, m.Timestamp, ChatMessage(ev))
	if !ok {
		s.Metrics.Ignored.Inc()
		return nil
	}
	return s.Backlog.Add(c)
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
