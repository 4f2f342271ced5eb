package helix

// EventSub subscription management: the chat subscription ingest reconciles
// (pkg/twitch/reconcile), over a webhook or a WebSocket session.

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// EventSub subscription types this project uses.
const (
	EventSubChatMessage        = eventsub.SubscriptionChatMessage
	EventSubChatMessageVersion = "1"
)

// EventSubTransport is where Twitch delivers notifications: a webhook callback (Secret
// is write-only: Twitch never returns it) or a WebSocket session.
type EventSubTransport struct {
	Method    string `json:"method"`
	Callback  string `json:"callback,omitempty"`
	Secret    string `json:"secret,omitempty"`
	SessionID string `json:"session_id,omitempty"`
}

// EventSubSubscriptionRequest is the body of "Create EventSub Subscription".
type EventSubSubscriptionRequest struct {
	Type      string            `json:"type"`
	Version   string            `json:"version"`
	Condition map[string]string `json:"condition"`
	Transport EventSubTransport `json:"transport"`
}

// ChatMessageSubscription is the channel.chat.message webhook subscription for
// broadcasterID's chat read as userID (the bot or the broadcaster).
func ChatMessageSubscription(broadcasterID, userID, callback, secret string) EventSubSubscriptionRequest {
	return EventSubSubscriptionRequest{
		Type:      EventSubChatMessage,
		Version:   EventSubChatMessageVersion,
		Condition: map[string]string{"broadcaster_user_id": broadcasterID, "user_id": userID},
		Transport: EventSubTransport{Method: "webhook", Callback: callback, Secret: secret},
	}
}

// ChatMessageWebSocketSubscription is the channel.chat.message subscription for
// broadcasterID's chat read as userID over the WebSocket session sessionID.
func ChatMessageWebSocketSubscription(broadcasterID, userID, sessionID string) EventSubSubscriptionRequest {
	return EventSubSubscriptionRequest{
		Type:      EventSubChatMessage,
		Version:   EventSubChatMessageVersion,
		Condition: map[string]string{"broadcaster_user_id": broadcasterID, "user_id": userID},
		Transport: EventSubTransport{Method: "websocket", SessionID: sessionID},
	}
}

// EventSubSubscription is a subscription as Helix lists it.
type EventSubSubscription struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Version   string            `json:"version"`
	Condition map[string]string `json:"condition"`
	Transport EventSubTransport `json:"transport"`
	CreatedAt time.Time         `json:"created_at"`
	Cost      int               `json:"cost"`
}

// CreateEventSubSubscription creates a subscription: a webhook one with the app token,
// a WebSocket one with the chat account's user token (the reader in the condition), as
// https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription requires.
// Twitch answers 409 (errs.Conflict) when it already exists.
func (c *Client) CreateEventSubSubscription(ctx context.Context, req EventSubSubscriptionRequest) (EventSubSubscription, error) {
	var out struct {
		Data []EventSubSubscription `json:"data"`
	}
	cred := c.appCred()
	if req.Transport.Method == "websocket" {
		cred = c.userCred(c.chatRole(ctx))
	}
	if err := c.call(ctx, "create eventsub subscription", cred, http.MethodPost, "/eventsub/subscriptions", nil, req, &out); err != nil {
		return EventSubSubscription{}, err
	}
	if len(out.Data) == 0 {
		return EventSubSubscription{}, errs.Wrap(errs.Unavailable, &APIError{Op: "create eventsub subscription", Status: http.StatusAccepted, Message: "empty data"}, "helix answered without a subscription")
	}
	return out.Data[0], nil
}

// ListEventSubSubscriptions lists every subscription of the application, following
// pagination.
func (c *Client) ListEventSubSubscriptions(ctx context.Context) ([]EventSubSubscription, error) {
	return c.listSubscriptions(ctx, c.appCred())
}

// ListWebSocketSubscriptions lists the WebSocket subscriptions the chat account (the bot,
// else the broadcaster) created: Twitch shows a user token the subscriptions made with
// it, an app token only the webhook ones
// (https://dev.twitch.tv/docs/api/reference/#get-eventsub-subscriptions).
func (c *Client) ListWebSocketSubscriptions(ctx context.Context) ([]EventSubSubscription, error) {
	return c.listSubscriptions(ctx, c.userCred(c.chatRole(ctx)))
}

// DeleteWebSocketSubscription deletes one of the chat account's WebSocket subscriptions
// (errs.NotFound when unknown).
func (c *Client) DeleteWebSocketSubscription(ctx context.Context, id string) error {
	return c.call(ctx, "delete eventsub subscription", c.userCred(c.chatRole(ctx)), http.MethodDelete, "/eventsub/subscriptions", url.Values{"id": {id}}, nil, nil)
}

func (c *Client) listSubscriptions(ctx context.Context, cred credential) ([]EventSubSubscription, error) {
	var all []EventSubSubscription
	after := ""
	for page := 0; page < 100; page++ {
		q := url.Values{}
		if after != "" {
			q.Set("after", after)
		}
		var out struct {
			Data       []EventSubSubscription `json:"data"`
			Pagination struct {
				Cursor string `json:"cursor"`
			} `json:"pagination"`
		}
		if err := c.call(ctx, "list eventsub subscriptions", cred, http.MethodGet, "/eventsub/subscriptions", q, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Data...)
		if out.Pagination.Cursor == "" || len(out.Data) == 0 {
			break
		}
		after = out.Pagination.Cursor
	}
	return all, nil
}

// DeleteEventSubSubscription deletes one subscription by id (errs.NotFound when unknown).
func (c *Client) DeleteEventSubSubscription(ctx context.Context, id string) error {
	return c.call(ctx, "delete eventsub subscription", c.appCred(), http.MethodDelete, "/eventsub/subscriptions", url.Values{"id": {id}}, nil, nil)
}
