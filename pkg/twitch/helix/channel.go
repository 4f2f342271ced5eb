package helix

// What the services ask of the broadcaster's channel: the reward announcement in chat
// and whether a viewer subscribes.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

// SendResult is Helix's answer to a chat message. Helix answers 200 even when it drops
// the message: only IsSent means the line is in chat.
type SendResult struct {
	MessageID   string
	IsSent      bool
	DropCode    string // drop_reason.code when !IsSent, e.g. "msg_ratelimit"
	DropMessage string
}

// SendChatMessage posts message to broadcasterID's chat as senderID ("Send Chat
// Message", https://dev.twitch.tv/docs/api/reference/#send-chat-message). It posts with
// the app access token and for_source_only, because a message sent with a user token
// during a Shared Chat session appears in every channel of the session (same page,
// for_source_only); the sender must have authorised the application with
// user:write:chat and user:bot, and the broadcaster with channel:bot. Only when the
// application has no client secret (a public client, which gets no app token) does it
// post with the sender's user token. senderID must be the sender account's own user
// id — SenderID tells it.
// Errors: 429 → errs.RateLimited (RateLimitReset tells when to retry); 5xx, timeouts and
// transport failures → errs.Unavailable; other 4xx → permanent codes.
func (c *Client) SendChatMessage(ctx context.Context, broadcasterID, senderID, message string) (SendResult, error) {
	body := map[string]any{"broadcaster_id": broadcasterID, "sender_id": senderID, "message": message}
	cred := c.appCred()
	if c.oauth.ClientSecret == "" {
		cred = c.userCred(c.chatRole(ctx))
	} else {
		body["for_source_only"] = true
	}
	var out struct {
		Data []struct {
			MessageID  string `json:"message_id"`
			IsSent     bool   `json:"is_sent"`
			DropReason *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"drop_reason"`
		} `json:"data"`
	}
	if err := c.call(ctx, "send chat message", cred, http.MethodPost, "/chat/messages", nil, body, &out); err != nil {
		return SendResult{}, err
	}
	if len(out.Data) == 0 {
		return SendResult{}, errs.Wrap(errs.Unavailable, &APIError{Op: "send chat message", Status: http.StatusOK, Message: "empty data"}, "helix answered without a result")
	}
	d := out.Data[0]
	r := SendResult{MessageID: d.MessageID, IsSent: d.IsSent}
	if d.DropReason != nil {
		r.DropCode, r.DropMessage = d.DropReason.Code, d.DropReason.Message
	}
	return r, nil
}

// CheckSubscription reports whether userID subscribes to broadcasterID ("Get Broadcaster
// Subscriptions" filtered by user_id, with the broadcaster's token and its
// channel:read:subscriptions scope).
func (c *Client) CheckSubscription(ctx context.Context, broadcasterID, userID string) (bool, error) {
	q := url.Values{"broadcaster_id": {broadcasterID}, "user_id": {userID}}
	var out struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := c.call(ctx, "check subscription", c.userCred(oauth.Broadcaster), http.MethodGet, "/subscriptions", q, nil, &out); err != nil {
		return false, err
	}
	return len(out.Data) > 0, nil
}
