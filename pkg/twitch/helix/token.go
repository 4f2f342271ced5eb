package helix

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

// maxRefreshMargin caps how long before its expiry a token is renewed; shorter-lived
// tokens are renewed after nine tenths of their life. Twitch recommends reacting to 401
// rather than watching expires_in (https://dev.twitch.tv/docs/authentication/refresh-tokens/);
// the client does both, so a deployment idle for hours does not start with a 401.
const maxRefreshMargin = 5 * time.Minute

// RefreshMargin is how long before expiresAt a token with the given life is renewed.
func RefreshMargin(life time.Duration) time.Duration {
	return min(life/10, maxRefreshMargin)
}

// UserTokens supplies one account's user access token: from the environment
// (EnvTokens) or from the shared token store (tokenstore.Source).
type UserTokens interface {
	// Token is the current access token, renewed first when it is about to expire. A
	// grant Twitch refused earlier is an errs.Unauthorized error at once, without
	// asking Twitch again.
	Token(ctx context.Context) (string, error)
	// Renew replaces seen, which Twitch said is not valid (401 and /oauth2/validate
	// agreeing). Concurrent callers with the same seen share one refresh; a refusal
	// is remembered.
	Renew(ctx context.Context, seen string) (string, error)
	// Validated records what /oauth2/validate said of seen.
	Validated(ctx context.Context, seen string, v oauth.Validation)
	// Source names where the token comes from ("environment", "token store").
	Source() string
}

// EnvTokens is a user token given in the environment (TWITCH_BROADCASTER_TOKEN,
// TWITCH_SENDER_TOKEN and their refresh tokens), kept in this process's memory: a
// rotated refresh token lives only until the process stops, which is why the token
// store exists. Environment tokens win over stored ones (docs/product.md §12).
type EnvTokens struct {
	oauth *oauth.Client
	name  string
	now   func() time.Time

	mu        sync.Mutex
	access    string
	refresh   string
	expiresAt time.Time
	margin    time.Duration
	problem   string
}

// NewEnvTokens holds access (and refresh, possibly empty) for the account called name.
func NewEnvTokens(oc *oauth.Client, name, access, refresh string, now func() time.Time) *EnvTokens {
	if now == nil {
		now = time.Now
	}
	return &EnvTokens{oauth: oc, name: name, now: now, access: access, refresh: refresh}
}

// Source implements UserTokens.
func (e *EnvTokens) Source() string { return "environment" }

// Token implements UserTokens.
func (e *EnvTokens) Token(ctx context.Context) (string, error) {
	e.mu.Lock()
	access, problem, expiresAt := e.access, e.problem, e.expiresAt
	soon := !expiresAt.IsZero() && !e.now().Add(e.margin).Before(expiresAt)
	e.mu.Unlock()
	switch {
	case problem != "":
		return "", errs.E(errs.Unauthorized, "%s", problem)
	case access == "":
		return e.Renew(ctx, access)
	case soon:
		tok, err := e.Renew(ctx, access)
		return stillValid(tok, err, access, e.now().Before(expiresAt))
	}
	return access, nil
}

// Renew implements UserTokens.
func (e *EnvTokens) Renew(ctx context.Context, seen string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.problem != "" {
		return "", errs.E(errs.Unauthorized, "%s", e.problem)
	}
	if e.access != seen && e.access != "" {
		return e.access, nil // another caller already renewed it
	}
	if e.refresh == "" {
		if e.access == "" {
			return "", errs.E(errs.Unauthorized, "the twitch %s token is not configured", e.name)
		}
		e.problem = "the twitch " + e.name + " token from the environment is no longer valid and no refresh token is configured: log in again"
		return "", errs.E(errs.Unauthorized, "%s", e.problem)
	}
	tok, err := e.oauth.Refresh(ctx, e.refresh)
	if err != nil {
		if errors.Is(err, oauth.ErrInvalidGrant) || errors.Is(err, oauth.ErrBadClient) {
			// Remembered: no loop of posts to the token endpoint.
			e.problem = "Twitch refused the " + e.name + " refresh token from the environment: log in again"
			return "", errs.Wrap(errs.Unauthorized, err, "%s", e.problem)
		}
		return "", err
	}
	e.access, e.refresh = tok.Access, tok.Refresh
	e.expiresAt, e.margin = time.Time{}, 0
	if tok.ExpiresIn > 0 {
		e.expiresAt, e.margin = e.now().Add(tok.ExpiresIn), RefreshMargin(tok.ExpiresIn)
	}
	return e.access, nil
}

// Validated implements UserTokens.
func (e *EnvTokens) Validated(_ context.Context, seen string, v oauth.Validation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.access == seen && v.ExpiresIn > 0 {
		e.expiresAt, e.margin = e.now().Add(v.ExpiresIn), RefreshMargin(v.ExpiresIn)
	}
}

// stillValid keeps an early renewal from failing calls: when renewing a token that has
// not expired yet could not reach Twitch, the old token goes on being used (and the
// renewal is tried again at the next call). A refusal is not papered over.
func stillValid(renewed string, err error, old string, oldValid bool) (string, error) {
	if err != nil && oldValid && errs.CodeOf(err) != errs.Unauthorized {
		return old, nil
	}
	return renewed, err
}

// appTokens is the app access token from client credentials. App tokens cannot be
// refreshed: a new one is requested (https://dev.twitch.tv/docs/authentication/refresh-tokens/).
// Each replica keeps its own; they are cheap and need no sharing.
type appTokens struct {
	oauth *oauth.Client
	now   func() time.Time

	mu        sync.Mutex
	access    string
	expiresAt time.Time
	margin    time.Duration
}

func (a *appTokens) token(ctx context.Context) (string, error) {
	a.mu.Lock()
	access, expiresAt := a.access, a.expiresAt
	fresh := access != "" && (expiresAt.IsZero() || a.now().Add(a.margin).Before(expiresAt))
	a.mu.Unlock()
	if fresh {
		return access, nil
	}
	if access == "" {
		return a.renew(ctx, access)
	}
	tok, err := a.renew(ctx, access)
	return stillValid(tok, err, access, a.now().Before(expiresAt))
}

func (a *appTokens) renew(ctx context.Context, seen string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.access != seen && a.access != "" {
		return a.access, nil
	}
	tok, err := a.oauth.ClientCredentials(ctx)
	if err != nil {
		return "", err
	}
	a.access = tok.Access
	a.expiresAt, a.margin = time.Time{}, 0
	if tok.ExpiresIn > 0 {
		a.expiresAt, a.margin = a.now().Add(tok.ExpiresIn), RefreshMargin(tok.ExpiresIn)
	}
	return a.access, nil
}
