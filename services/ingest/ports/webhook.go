// Package ports is ingest's HTTP face: the EventSub webhook, health and counters.
package ports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/ingest/app"
)

// Replay protection (docs/product.md §2). A delivery is used while its timestamp is at
// most MaxAge old and at most MaxSkew ahead of our clock; within that span a repeated
// delivery id is caught by the bus's duplicate window, which must therefore cover
// MaxAge + MaxSkew (natsx.DuplicateWindow is 20 minutes). A correctly signed delivery
// older than MaxAge is answered 2xx and dropped: Twitch says to ignore such messages
// (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#guarding-against-replay-attacks),
// and a refusal would make Twitch retry it and count failures toward revoking the
// subscription (notification_failures_exceeded).
const (
	MaxAge  = 10 * time.Minute
	MaxSkew = 2 * time.Minute
)

// MaxBody bounds a delivery body; chat notifications are a few KiB.
const MaxBody = eventsub.MaxBody

// Path is the webhook route (the gateway proxies it here unchanged).
const Path = "/api/twitch/eventsub"

// Webhook answers Twitch EventSub deliveries.
type Webhook struct {
	Secret  string // TWITCH_EVENTSUB_SECRET; empty refuses every delivery
	Now     func() time.Time
	Log     *zap.Logger
	App     app.Service
	Metrics *Metrics
	// Revoked, when set, learns of a revocation after it was acknowledged (ingest
	// re-creates the subscription or reports that a login is needed).
	Revoked func(subscriptionID, status string)
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, errs.HTTPStatus(errs.MethodNotAllowed), errs.E(errs.MethodNotAllowed, "use POST"))
		return
	}
	err := h.serve(w, r)
	if err == nil {
		return
	}
	h.Metrics.refused(errs.CodeOf(err))
	pub := errs.Public(err)
	status := errs.HTTPStatus(pub.Code)
	log := h.Log.With(zap.String("deliveryId", r.Header.Get(eventsub.HeaderMessageID)),
		zap.String("messageType", r.Header.Get(eventsub.HeaderMessageType)), zap.Error(err))
	switch {
	case status >= 500:
		log.Error("eventsub delivery not accepted")
	case h.Secret == "":
		log.Error("TWITCH_EVENTSUB_SECRET is not set: refusing every EventSub delivery")
	case pub.Code == errs.InvalidSignature || pub.Code == errs.StaleMessage:
		log.Warn("eventsub delivery refused")
	default:
		log.Info("eventsub delivery refused")
	}
	writeError(w, status, pub)
}

// serve handles one delivery; an error is answered with its code's status.
func (h *Webhook) serve(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errs.E(errs.Invalid, "body larger than %d bytes", MaxBody)
		}
		return errs.Wrap(errs.Invalid, err, "could not read the body")
	}

	hd := r.Header
	id, ts, sig, typ := hd.Get(eventsub.HeaderMessageID), hd.Get(eventsub.HeaderMessageTimestamp),
		hd.Get(eventsub.HeaderMessageSignature), hd.Get(eventsub.HeaderMessageType)
	switch {
	case h.Secret == "":
		// Never skip verification: without a secret nothing can be verified.
		return errs.E(errs.InvalidSignature, "webhook secret not configured")
	case id == "" || ts == "" || sig == "":
		return errs.E(errs.InvalidSignature, "missing %s, %s or %s header",
			eventsub.HeaderMessageID, eventsub.HeaderMessageTimestamp, eventsub.HeaderMessageSignature)
	case !eventsub.Verify(h.Secret, id, ts, body, sig):
		return errs.E(errs.InvalidSignature, "signature does not match")
	}

	at, err := eventsub.ParseTimestamp(ts)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "unreadable %s header", eventsub.HeaderMessageTimestamp)
	}
	now := h.Now()
	if now.Sub(at) > MaxAge {
		h.Metrics.Stale.Inc()
		h.Log.Warn("eventsub delivery older than 10 minutes dropped (acknowledged so Twitch stops retrying it)",
			zap.String("deliveryId", id), zap.String("messageType", typ), zap.Time("timestamp", at))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if at.Sub(now) > MaxSkew {
		return errs.E(errs.StaleMessage, "message timestamp more than %s in the future", MaxSkew)
	}

	if typ == "" {
		return errs.E(errs.Invalid, "missing %s header", eventsub.HeaderMessageType)
	}
	env, err := eventsub.DecodeEnvelope(typ, body)
	if err != nil {
		return err
	}
	switch typ {
	case eventsub.TypeVerification:
		h.Metrics.Verifications.Inc()
		h.Log.Info("eventsub subscription verified",
			zap.String("subscriptionId", env.Subscription.ID), zap.String("type", env.Subscription.Type))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, env.Challenge)
		return nil

	case eventsub.TypeRevocation:
		h.Metrics.Revocations.Inc()
		h.Log.Error("eventsub subscription revoked by Twitch: chat commands do not arrive until it is made again",
			zap.String("subscriptionId", env.Subscription.ID), zap.String("type", env.Subscription.Type),
			zap.String("reason", env.Subscription.Status))
		w.WriteHeader(http.StatusNoContent)
		if h.Revoked != nil {
			h.Revoked(env.Subscription.ID, env.Subscription.Status)
		}
		return nil

	case eventsub.TypeNotification:
		return h.notification(w, r.Context(), id, at, env)

	default:
		h.Log.Warn("eventsub message of unknown type acknowledged", zap.String("messageType", typ))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (h *Webhook) notification(w http.ResponseWriter, ctx context.Context, id string, at time.Time, env eventsub.Envelope) error {
	if env.Subscription.Type != eventsub.SubscriptionChatMessage {
		h.Metrics.Ignored.Inc()
		h.Log.Warn("eventsub notification of an unexpected subscription acknowledged", zap.String("type", env.Subscription.Type))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	m, err := eventsub.DecodeChatMessage(env.Event)
	if err != nil {
		return err
	}
	out, err := h.App.Chat(ctx, id, at, ChatMessage(m))
	if err != nil {
		return err
	}
	switch out {
	case app.Published:
		h.Metrics.Published.Inc()
	case app.Duplicate:
		h.Metrics.Duplicates.Inc()
		h.Log.Info("eventsub delivery replayed, nothing changed", zap.String("deliveryId", id))
	default:
		h.Metrics.Ignored.Inc()
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ChatMessage maps Twitch's channel.chat.message event to the app's.
func ChatMessage(m eventsub.ChatMessage) app.ChatMessage {
	return app.ChatMessage{
		MessageID:               m.MessageID,
		BroadcasterUserID:       m.BroadcasterUserID,
		SourceBroadcasterUserID: m.SourceBroadcasterUserID,
		UserID:                  m.ChatterUserID,
		UserLogin:               m.ChatterUserLogin,
		UserName:                m.ChatterUserName,
		Text:                    m.Message.Text,
		Badges:                  m.BadgeSetIDs(),
	}
}

func writeError(w http.ResponseWriter, status int, e *errs.Error) {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	b, err := json.Marshal(e)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"code":%q,"message":"","details":{}}`, e.Code))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
