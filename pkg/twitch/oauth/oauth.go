// Package oauth talks to Twitch's OAuth server (id.twitch.tv): the device code flow
// that logs an account in without a redirect server, the refresh of user tokens, app
// access tokens from client credentials, /oauth2/validate and /oauth2/revoke. It knows
// nothing of storage; tokenstore keeps what it returns. No token or secret ever appears
// in its errors.
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

// DefaultBaseURL is Twitch's OAuth server.
const DefaultBaseURL = "https://id.twitch.tv"

// DeviceGrantType is the grant_type of the device code flow's token request
// (https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#device-code-grant-flow).
const DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Client calls the OAuth server for one Twitch application. Safe for concurrent use.
type Client struct {
	BaseURL      string // default DefaultBaseURL
	ClientID     string
	ClientSecret string       // empty for a public client
	HTTP         *http.Client // default: 10-second timeout
}

// Token is what the token endpoint hands out.
type Token struct {
	Access    string
	Refresh   string // empty for app tokens
	Scopes    []string
	ExpiresIn time.Duration // 0 when Twitch gave no lifetime
}

// Validation is /oauth2/validate's answer.
type Validation struct {
	ClientID  string
	Login     string // empty for an app token
	UserID    string // empty for an app token
	Scopes    []string
	ExpiresIn time.Duration
}

// Sentinel errors; every one also carries an errs code (Unauthorized for the first
// four), so callers match with errors.Is.
var (
	// ErrInvalidGrant: the refresh token was refused — the authorisation was revoked,
	// the password changed, or the token was already spent. Only a new login helps.
	ErrInvalidGrant = errors.New("twitch refused the refresh token: log in again")
	// ErrInvalidToken: /oauth2/validate refused the access token.
	ErrInvalidToken = errors.New("twitch says the access token is not valid")
	// ErrDenied: the user refused the device login.
	ErrDenied = errors.New("the login was refused on Twitch")
	// ErrExpired: the device code expired (or was spent) before the user approved.
	ErrExpired = errors.New("the login code expired before it was approved")
	// ErrBadClient: Twitch does not know the client id or refused the secret.
	ErrBadClient = errors.New("twitch refused the application's client id or secret")
)

func (c *Client) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c *Client) http() *http.Client {
	if c.HTTP == nil {
		return &http.Client{Timeout: 10 * time.Second}
	}
	return c.HTTP
}

// oauthError is the body of an OAuth failure: {"status": N, "message": "..."}, some
// pages also show "error" (https://dev.twitch.tv/docs/authentication/validate-tokens/,
// https://dev.twitch.tv/docs/authentication/refresh-tokens/).
type oauthError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error"`
}

func (e oauthError) text() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Error
}

// post sends a form and decodes a 200 answer into out; any other status comes back as
// status and Twitch's message.
func (c *Client) post(ctx context.Context, op, path string, form url.Values, out any) (status int, msg string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base()+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", errs.Wrap(errs.Internal, err, "%s: build request", op)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(op, req, out)
}

func (c *Client) do(op string, req *http.Request, out any) (int, string, error) {
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, "", transportError(op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return 0, "", transportError(op, err)
	}
	if resp.StatusCode == http.StatusOK {
		if out != nil {
			if err := json.Unmarshal(body, out); err != nil {
				return resp.StatusCode, "", errs.E(errs.Unavailable, "%s: unreadable answer from twitch", op)
			}
		}
		return resp.StatusCode, "", nil
	}
	var e oauthError
	_ = json.Unmarshal(body, &e)
	return resp.StatusCode, domain.Excerpt(e.text(), 200), nil
}

// statusError turns an unexpected status into an error with the right code: 5xx and
// 429 may pass, 400/403 about the client are configuration.
func statusError(op string, status int, msg string) error {
	code := errs.Invalid
	switch {
	case status >= 500:
		code = errs.Unavailable
	case status == http.StatusTooManyRequests:
		code = errs.RateLimited
	case status == http.StatusUnauthorized:
		code = errs.Unauthorized
	case status == http.StatusForbidden:
		code = errs.Forbidden
	}
	if isClientProblem(msg) {
		return errs.Wrap(errs.Unauthorized, ErrBadClient, "%s: twitch answered %d: %s", op, status, msg)
	}
	return errs.E(code, "%s: twitch answered %d: %s", op, status, msg).WithDetails(map[string]any{"status": status})
}

func isClientProblem(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "invalid client") || strings.Contains(m, "client secret") || strings.Contains(m, "client does not exist")
}

type tokenBody struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	ExpiresIn    int64           `json:"expires_in"`
	Scope        json.RawMessage `json:"scope"`
}

func (b tokenBody) token(op string) (Token, error) {
	if b.AccessToken == "" {
		return Token{}, errs.E(errs.Unavailable, "%s: twitch answered without an access token", op)
	}
	t := Token{Access: b.AccessToken, Refresh: b.RefreshToken, Scopes: scopes(b.Scope)}
	if b.ExpiresIn > 0 {
		t.ExpiresIn = time.Duration(b.ExpiresIn) * time.Second
	}
	return t, nil
}

// scopes reads "scope", which Twitch sends as an array (and some flows as a
// space-separated string).
func scopes(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Fields(s)
	}
	return nil
}

// ClientCredentials gets an app access token
// (https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#client-credentials-grant-flow).
func (c *Client) ClientCredentials(ctx context.Context) (Token, error) {
	const op = "get app token"
	var b tokenBody
	status, msg, err := c.post(ctx, op, "/oauth2/token", url.Values{
		"client_id": {c.ClientID}, "client_secret": {c.ClientSecret}, "grant_type": {"client_credentials"},
	}, &b)
	if err != nil {
		return Token{}, err
	}
	if status != http.StatusOK {
		if status == http.StatusBadRequest || status == http.StatusForbidden {
			return Token{}, errs.Wrap(errs.Unauthorized, ErrBadClient, "%s: twitch answered %d: %s", op, status, msg)
		}
		return Token{}, statusError(op, status, msg)
	}
	return b.token(op)
}

// Refresh trades a refresh token for a new access token and, often, a new refresh token
// that replaces the old one at once
// (https://dev.twitch.tv/docs/authentication/refresh-tokens/#how-to-use-a-refresh-token).
// A refused refresh token is ErrInvalidGrant (errs.Unauthorized): retrying cannot help.
func (c *Client) Refresh(ctx context.Context, refresh string) (Token, error) {
	const op = "refresh token"
	form := url.Values{"client_id": {c.ClientID}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	if c.ClientSecret != "" {
		form.Set("client_secret", c.ClientSecret)
	}
	var b tokenBody
	status, msg, err := c.post(ctx, op, "/oauth2/token", form, &b)
	if err != nil {
		return Token{}, err
	}
	switch {
	case status == http.StatusOK:
		t, err := b.token(op)
		if err == nil && t.Refresh == "" {
			t.Refresh = refresh // Twitch kept the refresh token
		}
		return t, err
	case isClientProblem(msg):
		return Token{}, errs.Wrap(errs.Unauthorized, ErrBadClient, "%s: twitch answered %d: %s", op, status, msg)
	case status == http.StatusBadRequest || status == http.StatusUnauthorized:
		// "If the refresh token is not valid, the request returns 400 Bad Request"
		// (https://dev.twitch.tv/docs/authentication/refresh-tokens/).
		return Token{}, errs.Wrap(errs.Unauthorized, ErrInvalidGrant, "%s: twitch answered %d: %s", op, status, msg)
	default:
		return Token{}, statusError(op, status, msg)
	}
}

// Validate asks Twitch whether access is still valid and for whom, with which scopes
// and for how long (https://dev.twitch.tv/docs/authentication/validate-tokens/). A
// refused token is ErrInvalidToken (errs.Unauthorized).
func (c *Client) Validate(ctx context.Context, access string) (Validation, error) {
	const op = "validate token"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base()+"/oauth2/validate", nil)
	if err != nil {
		return Validation{}, errs.Wrap(errs.Internal, err, "%s: build request", op)
	}
	req.Header.Set("Authorization", "OAuth "+access)
	var b struct {
		ClientID  string   `json:"client_id"`
		Login     string   `json:"login"`
		UserID    string   `json:"user_id"`
		Scopes    []string `json:"scopes"`
		ExpiresIn int64    `json:"expires_in"`
	}
	status, msg, err := c.do(op, req, &b)
	if err != nil {
		return Validation{}, err
	}
	switch status {
	case http.StatusOK:
		return Validation{ClientID: b.ClientID, Login: b.Login, UserID: b.UserID, Scopes: b.Scopes,
			ExpiresIn: time.Duration(b.ExpiresIn) * time.Second}, nil
	case http.StatusUnauthorized:
		return Validation{}, errs.Wrap(errs.Unauthorized, ErrInvalidToken, "%s: %s", op, msg)
	default:
		return Validation{}, statusError(op, status, msg)
	}
}

// Revoke ends a token (https://dev.twitch.tv/docs/authentication/revoke-tokens/). A
// token Twitch no longer knows (400) counts as revoked.
func (c *Client) Revoke(ctx context.Context, token string) error {
	const op = "revoke token"
	status, msg, err := c.post(ctx, op, "/oauth2/revoke", url.Values{"client_id": {c.ClientID}, "token": {token}}, nil)
	if err != nil {
		return err
	}
	switch status {
	case http.StatusOK, http.StatusBadRequest:
		return nil
	case http.StatusNotFound:
		return errs.Wrap(errs.Unauthorized, ErrBadClient, "%s: twitch answered 404: %s", op, msg)
	default:
		return statusError(op, status, msg)
	}
}

func transportError(op string, err error) error {
	var ne net.Error
	timeout := errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	if errors.Is(err, context.Canceled) {
		return errs.Wrap(errs.Unavailable, context.Canceled, "%s: canceled", op)
	}
	// The URL error names the URL, which holds no credential (they travel in bodies
	// and headers); its text is still not copied, only whether it timed out.
	if timeout {
		return errs.E(errs.Unavailable, "%s: twitch did not answer in time", op)
	}
	return errs.E(errs.Unavailable, "%s: twitch did not answer", op)
}
