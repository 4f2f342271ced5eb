package helix

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
)

// maxRefreshMargin caps how long before its expiry a token is renewed; shorter-lived
// tokens are renewed after nine tenths of their life.
const maxRefreshMargin = 5 * time.Minute

// tokenSource holds one access token: the app token (client credentials) or a user
// token (configured, renewed with its refresh token). Holding mu while fetching means
// concurrent callers wait for one renewal instead of each starting their own.
type tokenSource struct {
	c    *Client
	name string
	app  bool

	mu        sync.Mutex
	access    string
	refresh   string
	expiresAt time.Time // zero: no known expiry
	margin    time.Duration
	checked   bool // user token: expiry learnt from /oauth2/validate (or validation skipped)
	stale     bool // the server refused access: renew before the next use
}

// token returns a usable access token, fetching, validating or refreshing as needed.
func (ts *tokenSource) token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.c.now()
	fresh := func() bool {
		return ts.access != "" && !ts.stale && (ts.expiresAt.IsZero() || now.Add(ts.margin).Before(ts.expiresAt))
	}
	if ts.app {
		if fresh() {
			return ts.access, nil
		}
		return ts.grant(ctx, url.Values{"grant_type": {"client_credentials"}})
	}
	if ts.access != "" && !ts.checked && !ts.stale {
		ts.validate(ctx)
	}
	if fresh() {
		return ts.access, nil
	}
	if ts.refresh == "" {
		if ts.access == "" {
			return "", errs.E(errs.Unauthorized, "twitch %s token is not configured", ts.name)
		}
		return "", errs.E(errs.Unauthorized, "twitch %s token expired and no refresh token is configured", ts.name)
	}
	return ts.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ts.refresh}})
}

// invalidate marks the token refused by Helix (401), unless another caller already
// replaced it.
func (ts *tokenSource) invalidate(tok string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.access == tok {
		ts.stale = true
	}
}

// validate learns a configured user token's remaining life. An unreachable validate
// endpoint is not fatal: the token is used as is and a 401 renews it.
func (ts *tokenSource) validate(ctx context.Context) {
	ts.checked = true
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.c.authURL+"/oauth2/validate", nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "OAuth "+ts.access)
	resp, err := ts.c.hc.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		var v struct {
			ExpiresIn int64 `json:"expires_in"`
		}
		if json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&v) == nil && v.ExpiresIn > 0 {
			ts.setExpiry(time.Duration(v.ExpiresIn) * time.Second)
		}
	case http.StatusUnauthorized:
		ts.stale = true
	}
}

func (ts *tokenSource) setExpiry(life time.Duration) {
	ts.expiresAt = ts.c.now().Add(life)
	ts.margin = life / 10
	if ts.margin > maxRefreshMargin {
		ts.margin = maxRefreshMargin
	}
}

// grant asks the OAuth endpoint for a token. Called with mu held.
func (ts *tokenSource) grant(ctx context.Context, form url.Values) (string, error) {
	op := "refresh " + ts.name + " token"
	if ts.app {
		op = "get app token"
	}
	form.Set("client_id", ts.c.clientID)
	form.Set("client_secret", ts.c.secret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.c.authURL+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "%s: build request", op)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := ts.c.hc.Do(req)
	if err != nil {
		return "", transportError(op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", transportError(op, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := ts.c.statusError(op, resp, body)
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden {
			// Twitch answers 400 "Invalid refresh token" / bad client secret: the
			// credentials are wrong, which no retry fixes.
			return "", errs.Wrap(errs.Unauthorized, e, "%s: twitch refused the credentials", op)
		}
		return "", e
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", errs.Wrap(errs.Unavailable, &APIError{Op: op, Status: resp.StatusCode, Message: "no access_token in answer"}, "%s: unreadable answer", op)
	}
	ts.access = tok.AccessToken
	if tok.RefreshToken != "" {
		ts.refresh = tok.RefreshToken
	}
	ts.stale = false
	ts.checked = true
	ts.expiresAt, ts.margin = time.Time{}, 0
	if tok.ExpiresIn > 0 {
		ts.setExpiry(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return ts.access, nil
}
