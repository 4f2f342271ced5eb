// Package helix is the Twitch Helix API client the services share: chat messages (the
// reward announcement), the broadcaster's subscription check, and the EventSub
// subscription management behind ingest's CLI. It owns the tokens: an app access token
// from client credentials and user tokens refreshed before they expire and after a 401.
// Tokens and secrets never appear in its errors.
package helix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
)

// Client calls Helix with the tokens of one deployment. Safe for concurrent use.
type Client struct {
	helixURL string
	authURL  string
	clientID string
	secret   string
	hc       *http.Client
	now      func() time.Time

	app         *tokenSource // client credentials
	broadcaster *tokenSource // TWITCH_BROADCASTER_TOKEN (+ refresh)
	sender      *tokenSource // TWITCH_SENDER_TOKEN (+ refresh), or the app token
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (timeouts, transport). The default has a
// 10-second timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithClock sets the clock used for token expiry; tests pass a controllable one.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New builds a client from the deployment configuration. It makes no request: tokens
// are fetched or validated on first use.
func New(cfg config.Config, opts ...Option) *Client {
	c := &Client{
		helixURL: strings.TrimRight(orDefault(cfg.HelixBaseURL, "https://api.twitch.tv"), "/"),
		authURL:  strings.TrimRight(orDefault(cfg.AuthBaseURL, "https://id.twitch.tv"), "/"),
		clientID: cfg.ClientID,
		secret:   cfg.ClientSecret,
		hc:       &http.Client{Timeout: 10 * time.Second},
		now:      time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	c.app = &tokenSource{c: c, name: "app", app: true}
	c.broadcaster = &tokenSource{c: c, name: "broadcaster", access: cfg.BroadcasterToken, refresh: cfg.BroadcasterRefresh}
	if cfg.SenderToken != "" || cfg.SenderRefresh != "" {
		c.sender = &tokenSource{c: c, name: "sender", access: cfg.SenderToken, refresh: cfg.SenderRefresh}
	} else {
		c.sender = c.app
	}
	return c
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// SendResult is Helix's answer to a chat message. Helix answers 200 even when it drops
// the message: only IsSent means the line is in chat.
type SendResult struct {
	MessageID   string
	IsSent      bool
	DropCode    string // drop_reason.code when !IsSent, e.g. "msg_ratelimit"
	DropMessage string
}

// SendChatMessage posts message to broadcasterID's chat as senderID ("Send Chat
// Message"), with the sender's user token or, when none is configured, the app token.
// Errors: 429 → errs.RateLimited (RateLimitReset tells when to retry); 5xx, timeouts and
// transport failures → errs.Unavailable; other 4xx → permanent codes.
func (c *Client) SendChatMessage(ctx context.Context, broadcasterID, senderID, message string) (SendResult, error) {
	body := map[string]string{"broadcaster_id": broadcasterID, "sender_id": senderID, "message": message}
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
	if err := c.call(ctx, "send chat message", c.sender, http.MethodPost, "/chat/messages", nil, body, &out); err != nil {
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
	if err := c.call(ctx, "check subscription", c.broadcaster, http.MethodGet, "/subscriptions", q, nil, &out); err != nil {
		return false, err
	}
	return len(out.Data) > 0, nil
}

// EventSub subscription types this project uses.
const (
	EventSubChatMessage        = "channel.chat.message"
	EventSubChatMessageVersion = "1"
)

// EventSubTransport is where Twitch delivers notifications. Secret is write-only: Twitch
// never returns it.
type EventSubTransport struct {
	Method   string `json:"method"`
	Callback string `json:"callback,omitempty"`
	Secret   string `json:"secret,omitempty"`
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

// CreateEventSubSubscription creates a subscription with the app token (webhooks
// require one). Twitch answers 409 (errs.Conflict) when it already exists.
func (c *Client) CreateEventSubSubscription(ctx context.Context, req EventSubSubscriptionRequest) (EventSubSubscription, error) {
	var out struct {
		Data []EventSubSubscription `json:"data"`
	}
	if err := c.call(ctx, "create eventsub subscription", c.app, http.MethodPost, "/eventsub/subscriptions", nil, req, &out); err != nil {
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
		if err := c.call(ctx, "list eventsub subscriptions", c.app, http.MethodGet, "/eventsub/subscriptions", q, nil, &out); err != nil {
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
	return c.call(ctx, "delete eventsub subscription", c.app, http.MethodDelete, "/eventsub/subscriptions", url.Values{"id": {id}}, nil, nil)
}

// call sends one Helix request with ts's token; a 401 invalidates the token and the
// call is retried once with a fresh one.
func (c *Client) call(ctx context.Context, op string, ts *tokenSource, method, path string, q url.Values, in, out any) error {
	var payload []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "%s: encode request", op)
		}
		payload = b
	}
	for attempt := 0; ; attempt++ {
		tok, err := ts.token(ctx)
		if err != nil {
			return err
		}
		resp, err := c.send(ctx, method, c.helixURL+"/helix"+path, q, payload, tok)
		if err != nil {
			return transportError(op, err)
		}
		status := resp.StatusCode
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if rerr != nil {
			return transportError(op, rerr)
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			ts.invalidate(tok)
			continue
		}
		if status >= 200 && status < 300 {
			if out != nil && status != http.StatusNoContent && len(body) > 0 {
				if err := json.Unmarshal(body, out); err != nil {
					return errs.Wrap(errs.Unavailable, &APIError{Op: op, Status: status, Message: "undecodable body"}, "%s: unreadable helix answer", op)
				}
			}
			return nil
		}
		return c.statusError(op, resp, body)
	}
}

func (c *Client) send(ctx context.Context, method, u string, q url.Values, payload []byte, token string) (*http.Response, error) {
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Client-Id", c.clientID)
	req.Header.Set("Authorization", "Bearer "+token)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.hc.Do(req)
}

// APIError describes a failed Helix or OAuth call. It never holds a token: Message is
// Twitch's own error message, which names no credential.
type APIError struct {
	Op      string    // "send chat message", …
	Status  int       // HTTP status; 0 when the request got no answer
	Message string    // Twitch's "message" field, shortened
	ResetAt time.Time // 429: when the rate-limit bucket refills (Ratelimit-Reset)
	Timeout bool      // no answer in time
}

func (e *APIError) Error() string {
	switch {
	case e.Timeout:
		return fmt.Sprintf("helix %s: timeout", e.Op)
	case e.Status == 0:
		return fmt.Sprintf("helix %s: no answer: %s", e.Op, e.Message)
	case e.Message != "":
		return fmt.Sprintf("helix %s: HTTP %d: %s", e.Op, e.Status, e.Message)
	default:
		return fmt.Sprintf("helix %s: HTTP %d", e.Op, e.Status)
	}
}

// RateLimitReset is the Ratelimit-Reset time carried by a 429 error.
func RateLimitReset(err error) (time.Time, bool) {
	var e *APIError
	if errors.As(err, &e) && !e.ResetAt.IsZero() {
		return e.ResetAt, true
	}
	return time.Time{}, false
}

// HTTPStatus is the HTTP status of a failed call, 0 when there was none.
func HTTPStatus(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsTimeout reports an error where Helix did not answer in time: the request may or may
// not have been carried out.
func IsTimeout(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Timeout
}

// Temporary reports whether retrying the same call later may succeed (5xx, 429,
// timeouts, no answer).
func Temporary(err error) bool {
	return err != nil && errs.Temporary(errs.CodeOf(err))
}

func transportError(op string, err error) error {
	e := &APIError{Op: op}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		e.Timeout = true
	} else if errors.Is(err, context.Canceled) {
		e.Message = "canceled"
	} else {
		e.Message = shorten(err.Error())
	}
	return errs.Wrap(errs.Unavailable, e, "%s: twitch did not answer", op).WithDetails(map[string]any{"timeout": e.Timeout})
}

func (c *Client) statusError(op string, resp *http.Response, body []byte) error {
	e := &APIError{Op: op, Status: resp.StatusCode, Message: twitchMessage(body)}
	details := map[string]any{"status": e.Status}
	var code errs.Code
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		code = errs.RateLimited
		if v, err := strconv.ParseInt(resp.Header.Get("Ratelimit-Reset"), 10, 64); err == nil && v > 0 {
			e.ResetAt = time.Unix(v, 0)
			details["resetAt"] = v
		}
	case s >= 500:
		code = errs.Unavailable
	case s == http.StatusUnauthorized:
		code = errs.Unauthorized
	case s == http.StatusForbidden:
		code = errs.Forbidden
	case s == http.StatusNotFound:
		code = errs.NotFound
	case s == http.StatusConflict:
		code = errs.Conflict
	default:
		code = errs.Invalid
	}
	return errs.Wrap(code, e, "%s: twitch answered %d", op, e.Status).WithDetails(details)
}

// twitchMessage extracts the "message" of a Twitch error body. Twitch's messages name
// no credential; the body itself is never copied into an error.
func twitchMessage(body []byte) string {
	var b struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	return shorten(b.Message)
}

func shorten(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
