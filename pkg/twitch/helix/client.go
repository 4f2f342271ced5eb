// Package helix is the Twitch Helix API client the services share: chat messages (the
// reward announcement), the broadcaster's subscription check, and EventSub subscription
// management. It holds the credentials: the app access token from client credentials,
// and the user tokens of the broadcaster and the optional bot account, from the
// environment or from the shared token store. User tokens are validated at start and
// every hour (Validate, KeepValidated), renewed before they expire, and after a 401 only
// when /oauth2/validate agrees the token is invalid — once, shared by every concurrent
// caller. Tokens and secrets never appear in its errors.
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
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

// Client calls Helix with the credentials of one deployment. Safe for concurrent use.
type Client struct {
	helixURL string
	clientID string
	oauth    *oauth.Client
	hc       *http.Client
	now      func() time.Time

	app      *appTokens
	users    map[oauth.Role]UserTokens
	fallback map[oauth.Role]UserTokens
	validate singleflight.Group

	mu       sync.Mutex
	accounts map[oauth.Role]AccountStatus

	metrics Metrics
}

// Metrics counts what the client did with tokens since start.
type Metrics struct {
	Validations       atomic.Int64 // /oauth2/validate calls
	ValidationRefused atomic.Int64 // tokens /oauth2/validate said are invalid
	Renewals          atomic.Int64 // user tokens renewed after a refusal or before expiry
	RenewalsRefused   atomic.Int64 // renewals Twitch refused: someone must log in again
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (timeouts, transport) for Helix and OAuth calls.
// The default has a 10-second timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithClock sets the clock used for token expiry; tests pass a controllable one.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithUserTokens supplies role's user token when the environment gives none (the
// token store's source): environment tokens win (docs/product.md §12).
func WithUserTokens(role oauth.Role, src UserTokens) Option {
	return func(c *Client) {
		if c.fallback == nil {
			c.fallback = map[oauth.Role]UserTokens{}
		}
		c.fallback[role] = src
	}
}

// New builds a client from the deployment configuration. It makes no request.
func New(cfg config.Config, opts ...Option) *Client {
	c := &Client{
		helixURL: strings.TrimRight(orDefault(cfg.HelixBaseURL, "https://api.twitch.tv"), "/"),
		clientID: cfg.ClientID,
		hc:       &http.Client{Timeout: 10 * time.Second},
		now:      time.Now,
		users:    map[oauth.Role]UserTokens{},
		fallback: map[oauth.Role]UserTokens{},
		accounts: map[oauth.Role]AccountStatus{},
	}
	for _, o := range opts {
		o(c)
	}
	c.oauth = &oauth.Client{BaseURL: orDefault(cfg.AuthBaseURL, oauth.DefaultBaseURL), ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, HTTP: c.hc}
	c.app = &appTokens{oauth: c.oauth, now: c.now}
	if cfg.BroadcasterToken != "" || cfg.BroadcasterRefresh != "" {
		c.users[oauth.Broadcaster] = NewEnvTokens(c.oauth, "broadcaster", cfg.BroadcasterToken, cfg.BroadcasterRefresh, c.now)
	} else if src := c.fallback[oauth.Broadcaster]; src != nil {
		c.users[oauth.Broadcaster] = src
	}
	if cfg.SenderToken != "" || cfg.SenderRefresh != "" {
		c.users[oauth.Bot] = NewEnvTokens(c.oauth, "sender", cfg.SenderToken, cfg.SenderRefresh, c.now)
	} else if src := c.fallback[oauth.Bot]; src != nil {
		c.users[oauth.Bot] = src
	}
	return c
}

// OAuth is the client's OAuth client (same application, same HTTP client).
func (c *Client) OAuth() *oauth.Client { return c.oauth }

// Metrics is the client's token counters.
func (c *Client) Metrics() *Metrics { return &c.metrics }

// HasAccount reports whether role has a user token (from the environment or a login
// in the store).
func (c *Client) HasAccount(ctx context.Context, role oauth.Role) bool { return c.has(ctx, role) }

// Optional is implemented by a token source that may hold no account at all (the
// token store before anyone logged the bot in).
type Optional interface {
	Present(ctx context.Context) bool
}

// has reports whether role has an account: a source, and for an optional source a
// login behind it.
func (c *Client) has(ctx context.Context, role oauth.Role) bool {
	src := c.users[role]
	if src == nil {
		return false
	}
	if o, ok := src.(Optional); ok {
		return o.Present(ctx)
	}
	return true
}

// chatRole is the account that reads chat and sends the announcement: the bot when
// there is one, else the broadcaster.
func (c *Client) chatRole(ctx context.Context) oauth.Role {
	if c.has(ctx, oauth.Bot) {
		return oauth.Bot
	}
	return oauth.Broadcaster
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

// EventSub subscription types this project uses.
const (
	EventSubChatMessage        = "channel.chat.message"
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
		if err := c.call(ctx, "list eventsub subscriptions", c.appCred(), http.MethodGet, "/eventsub/subscriptions", q, nil, &out); err != nil {
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

// credential is the token a call is made with and what to do when Helix refuses it.
type credential struct {
	name    string
	token   func(ctx context.Context) (string, error)
	refused func(ctx context.Context, token string) error
}

func (c *Client) appCred() credential {
	return credential{name: "app", token: c.app.token, refused: func(ctx context.Context, tok string) error {
		_, err := c.app.renew(ctx, tok)
		return err
	}}
}

func (c *Client) userCred(role oauth.Role) credential {
	src := c.users[role]
	if src == nil {
		return credential{name: string(role), token: func(context.Context) (string, error) {
			return "", errs.E(errs.Unauthorized, "no twitch %s account: log in with `mgm twitch login` (or set the %s token in the environment)", role, role)
		}, refused: func(context.Context, string) error { return nil }}
	}
	return credential{name: string(role), token: src.Token, refused: func(ctx context.Context, tok string) error {
		return c.userRefused(ctx, role, src, tok)
	}}
}

// userRefused handles a 401 for a user token. A 401 is not always an invalid token
// (a missing scope is one too), so /oauth2/validate decides: a token Twitch still
// validates is not renewed — the call fails with what Twitch said; an invalid one is
// renewed once for every caller that saw it refused.
func (c *Client) userRefused(ctx context.Context, role oauth.Role, src UserTokens, tok string) error {
	_, err := c.validateToken(ctx, role, src, tok)
	if err == nil {
		return errs.E(errs.Unauthorized, "twitch refused the %s account's token although it is valid: the account may lack a scope (see mgm twitch status)", role)
	}
	if !errors.Is(err, oauth.ErrInvalidToken) {
		return err
	}
	before := tok
	next, err := src.Renew(ctx, tok)
	if err != nil {
		if errs.CodeOf(err) == errs.Unauthorized {
			c.metrics.RenewalsRefused.Add(1)
		}
		return err
	}
	if next != before {
		c.metrics.Renewals.Add(1)
	}
	return nil
}

// call sends one Helix request with cred's token; a 401 goes to cred.refused, and the
// call is retried once when that found a new token.
func (c *Client) call(ctx context.Context, op string, cred credential, method, path string, q url.Values, in, out any) error {
	var payload []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "%s: encode request", op)
		}
		payload = b
	}
	for attempt := 0; ; attempt++ {
		tok, err := cred.token(ctx)
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
			if err := cred.refused(ctx, tok); err != nil {
				return errs.Wrap(errs.CodeOf(err), err, "%s: %s", op, errs.Public(err).Message)
			}
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
