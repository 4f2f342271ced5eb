// Package reconcile keeps the deployment's channel.chat.message subscription as it
// should be (docs/product.md §12, "The chat subscription"): created when missing, never
// twice, subscriptions pointing at an old callback or reading as another user removed,
// one stuck in a failed state reported (and replaced when a new one can work). It also
// says what a revocation calls for.
package reconcile

import (
	"context"
	"fmt"
	"strings"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/helix"
)

// Helix is what reconciling needs of the Helix client.
type Helix interface {
	ListEventSubSubscriptions(ctx context.Context) ([]helix.EventSubSubscription, error)
	CreateEventSubSubscription(ctx context.Context, req helix.EventSubSubscriptionRequest) (helix.EventSubSubscription, error)
	DeleteEventSubSubscription(ctx context.Context, id string) error
}

// Webhook is the subscription a webhook deployment wants.
type Webhook struct {
	BroadcasterID string
	ReaderID      string // the bot, else the broadcaster
	Callback      string // https://…:443/api/twitch/eventsub
	Secret        string
}

// Result says what Reconcile did.
type Result struct {
	Kept    *helix.EventSubSubscription // the subscription in place (enabled or awaiting verification)
	Created *helix.EventSubSubscription
	Removed []helix.EventSubSubscription // old callback, other reader, duplicates, failed
	Failed  []helix.EventSubSubscription // found in a failed state (also in Removed)
	// LogInAgain is set when a subscription was revoked for a reason only a new login
	// fixes; no new one is created then (Twitch would refuse it).
	LogInAgain string
}

// Reconcile brings the application's webhook subscriptions for w.BroadcasterID's chat
// in line with w. Subscriptions of other channels are left alone.
func Reconcile(ctx context.Context, c Helix, w Webhook) (Result, error) {
	var r Result
	subs, err := c.ListEventSubSubscriptions(ctx)
	if err != nil {
		return r, fmt.Errorf("list eventsub subscriptions: %w", err)
	}
	for _, s := range subs {
		s := s
		if s.Type != helix.EventSubChatMessage || s.Condition["broadcaster_user_id"] != w.BroadcasterID {
			continue
		}
		mine := s.Transport.Method == "webhook" && s.Transport.Callback == w.Callback && s.Condition["user_id"] == w.ReaderID &&
			s.Version == helix.EventSubChatMessageVersion
		switch {
		case mine && usable(s.Status) && r.Kept == nil:
			r.Kept = &s
			continue
		case mine && !usable(s.Status):
			r.Failed = append(r.Failed, s)
			if need := Revoked(s.Status); need.Action == LogInAgain {
				r.LogInAgain = need.Say
			}
		}
		if s.Transport.Method != "webhook" {
			continue // WebSocket subscriptions end with their session
		}
		if err := c.DeleteEventSubSubscription(ctx, s.ID); err != nil && !errs.Has(err, errs.NotFound) {
			return r, fmt.Errorf("delete eventsub subscription %s: %w", s.ID, err)
		}
		r.Removed = append(r.Removed, s)
	}
	if r.Kept != nil || r.LogInAgain != "" {
		return r, nil
	}
	sub, err := c.CreateEventSubSubscription(ctx, helix.ChatMessageSubscription(w.BroadcasterID, w.ReaderID, w.Callback, w.Secret))
	if errs.Has(err, errs.Conflict) {
		// Another replica created it between the list and now: keep that one.
		again, lerr := c.ListEventSubSubscriptions(ctx)
		if lerr != nil {
			return r, fmt.Errorf("list eventsub subscriptions: %w", lerr)
		}
		for _, s := range again {
			s := s
			if s.Type == helix.EventSubChatMessage && s.Condition["broadcaster_user_id"] == w.BroadcasterID &&
				s.Transport.Callback == w.Callback && usable(s.Status) {
				r.Kept = &s
				return r, nil
			}
		}
	}
	if err != nil {
		return r, fmt.Errorf("create the channel.chat.message subscription: %w", err)
	}
	r.Created = &sub
	return r, nil
}

// ClearWebhooks deletes the application's webhook subscriptions for broadcasterID's
// chat: a WebSocket deployment replaces them (Twitch refuses a second subscription with
// the same type and condition).
func ClearWebhooks(ctx context.Context, c Helix, broadcasterID string) ([]helix.EventSubSubscription, error) {
	subs, err := c.ListEventSubSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	var removed []helix.EventSubSubscription
	for _, s := range subs {
		if s.Type == helix.EventSubChatMessage && s.Condition["broadcaster_user_id"] == broadcasterID && s.Transport.Method == "webhook" {
			if err := c.DeleteEventSubSubscription(ctx, s.ID); err != nil && !errs.Has(err, errs.NotFound) {
				return removed, err
			}
			removed = append(removed, s)
		}
	}
	return removed, nil
}

func usable(status string) bool {
	return status == eventsub.StatusEnabled || status == eventsub.StatusVerificationPending
}

// Action is what a revocation calls for.
type Action int

// Actions.
const (
	// Recreate: the subscription can simply be made again.
	Recreate Action = iota
	// LogInAgain: the authorisation behind it is gone; only a new login helps.
	LogInAgain
)

// Need is the action for a revocation and what to tell the streamer.
type Need struct {
	Action Action
	Say    string
}

// Revoked says what a subscription status (a revocation's reason, or a failed status
// found while reconciling) calls for
// (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#revoking-your-subscription):
// notification_failures_exceeded and version_removed are fixed by making it again;
// authorization_revoked and user_removed only by logging in again; moderator_removed
// means the reading bot lost the moderator status that stood in for channel:bot.
func Revoked(status string) Need {
	switch status {
	case eventsub.StatusAuthorizationRevoked:
		return Need{LogInAgain, "Twitch revoked the chat subscription because an account's authorisation was withdrawn: log in again with `mgm twitch login`"}
	case eventsub.StatusUserRemoved:
		return Need{LogInAgain, "Twitch revoked the chat subscription because an account was closed or suspended: log in with a working account (`mgm twitch login`)"}
	case eventsub.StatusModeratorRemoved:
		return Need{LogInAgain, "Twitch revoked the chat subscription because the bot is no longer a moderator: make it a moderator again, or log in as the broadcaster (`mgm twitch login`) to grant channel:bot"}
	case eventsub.StatusNotificationFailuresExceeded:
		return Need{Recreate, "Twitch revoked the chat subscription after too many failed deliveries; it is being created again"}
	case eventsub.StatusVersionRemoved:
		return Need{Recreate, "Twitch removed the subscription's version; it is being created again"}
	case eventsub.StatusVerificationFailed:
		return Need{Recreate, "the callback did not answer Twitch's verification challenge (is the public address right and TWITCH_EVENTSUB_SECRET the same everywhere?); it is being created again"}
	default:
		return Need{Recreate, "the chat subscription is in state " + strings.ReplaceAll(status, "_", " ") + "; it is being created again"}
	}
}

// SessionHelix is what Session needs: the application's subscriptions (Helix) and the
// reading account's own WebSocket subscriptions, listed and deleted with its user token.
type SessionHelix interface {
	Helix
	ListWebSocketSubscriptions(ctx context.Context) ([]helix.EventSubSubscription, error)
	DeleteWebSocketSubscription(ctx context.Context, id string) error
}

// Session creates the channel.chat.message subscription for a new EventSub WebSocket
// session, read as readerID. When a subscription for the same chat is in the way
// (Twitch answers 409: one subscription per type and condition), it is removed and the
// creation tried once more: a webhook subscription (the deployment moved to the
// WebSocket), or a WebSocket subscription of another session of this deployment —
// one connection per deployment (eventsubws.PGLease), so another session's
// subscription is a stale one: a connection this deployment dropped without Twitch
// noticing yet (a machine that slept, a network that changed), which would otherwise
// refuse the new session until Twitch's pings time it out.
func Session(ctx context.Context, c SessionHelix, broadcasterID, readerID, sessionID string) (helix.EventSubSubscription, []helix.EventSubSubscription, error) {
	req := helix.ChatMessageWebSocketSubscription(broadcasterID, readerID, sessionID)
	sub, err := c.CreateEventSubSubscription(ctx, req)
	if !errs.Has(err, errs.Conflict) {
		return sub, nil, err
	}
	removed, cerr := ClearWebhooks(ctx, c, broadcasterID)
	if cerr != nil {
		return helix.EventSubSubscription{}, removed, cerr
	}
	stale, cerr := clearOtherSessions(ctx, c, req)
	removed = append(removed, stale...)
	if cerr != nil {
		return helix.EventSubSubscription{}, removed, cerr
	}
	sub, err = c.CreateEventSubSubscription(ctx, req)
	return sub, removed, err
}

// clearOtherSessions deletes the reader's WebSocket subscriptions for the same chat on
// sessions other than req's.
func clearOtherSessions(ctx context.Context, c SessionHelix, req helix.EventSubSubscriptionRequest) ([]helix.EventSubSubscription, error) {
	subs, err := c.ListWebSocketSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the WebSocket subscriptions: %w", err)
	}
	var removed []helix.EventSubSubscription
	for _, s := range subs {
		if s.Transport.Method != "websocket" || s.Transport.SessionID == req.Transport.SessionID || s.Type != req.Type ||
			s.Condition["broadcaster_user_id"] != req.Condition["broadcaster_user_id"] || s.Condition["user_id"] != req.Condition["user_id"] {
			continue
		}
		if err := c.DeleteWebSocketSubscription(ctx, s.ID); err != nil && !errs.Has(err, errs.NotFound) {
			return removed, fmt.Errorf("delete WebSocket subscription %s: %w", s.ID, err)
		}
		removed = append(removed, s)
	}
	return removed, nil
}
