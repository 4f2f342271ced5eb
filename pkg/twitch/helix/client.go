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
	"io"
	"net/http"
	"net/url"
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
