package tokenstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

// cacheFor is how long a Source trusts its copy of the grant before reading it again,
// so a refresh or a new login by another replica is seen within that time without a
// query per Helix call.
const cacheFor = 30 * time.Second

// maxRefreshMargin: see helix.RefreshMargin (duplicated to keep this package free of
// helix).
const maxRefreshMargin = 5 * time.Minute

// Source is one role's token from the store, for the Helix client (it implements
// helix.UserTokens). Every replica has its own Source; they agree through the store.
type Source struct {
	store *Store
	role  oauth.Role
	oauth *oauth.Client
	now   func() time.Time

	mu      sync.Mutex
	grant   Grant
	fetched time.Time
	has     bool
}

// Source returns role's token source, refreshing through oc.
func (s *Store) Source(role oauth.Role, oc *oauth.Client) *Source {
	return &Source{store: s, role: role, oauth: oc, now: s.now}
}

// Present reports whether someone logged this role in (a grant with a problem counts:
// the problem must be reported, not hidden).
func (src *Source) Present(ctx context.Context) bool {
	_, err := src.load(ctx, false)
	return err == nil || !errors.Is(err, ErrNotLoggedIn)
}

// Source names where the token comes from.
func (src *Source) Source() string { return "token store" }

func (src *Source) load(ctx context.Context, force bool) (Grant, error) {
	src.mu.Lock()
	if src.has && !force && src.now().Sub(src.fetched) < cacheFor {
		g := src.grant
		src.mu.Unlock()
		return g, nil
	}
	src.mu.Unlock()
	g, err := src.store.Get(ctx, src.role)
	if err != nil {
		if errors.Is(err, ErrNotLoggedIn) {
			return Grant{}, errs.Wrap(errs.Unauthorized, err, "no twitch %s account: log in with `mgm twitch login`", src.role)
		}
		return Grant{}, errs.Wrap(errs.Unavailable, err, "read the twitch %s grant", src.role)
	}
	src.keep(g)
	return g, nil
}

func (src *Source) keep(g Grant) {
	src.mu.Lock()
	defer src.mu.Unlock()
	src.grant, src.fetched, src.has = g, src.now(), true
}

// Token is the stored access token, refreshed first (once across replicas) when it
// expires within the margin. A grant with a problem is an errs.Unauthorized error
// without asking Twitch.
func (src *Source) Token(ctx context.Context) (string, error) {
	g, err := src.load(ctx, false)
	if err != nil {
		return "", err
	}
	if g.Problem != "" {
		// Another replica may have fixed it (a new login): look again before failing.
		if g, err = src.load(ctx, true); err != nil {
			return "", err
		}
		if g.Problem != "" {
			return "", errs.E(errs.Unauthorized, "%s", g.Problem)
		}
	}
	if !g.ExpiresAt.IsZero() {
		life := g.ExpiresAt.Sub(g.UpdatedAt)
		margin := min(max(life/10, 0), maxRefreshMargin)
		if !src.now().Add(margin).Before(g.ExpiresAt) {
			tok, err := src.Renew(ctx, g.Access)
			// An early renewal that could not reach Twitch (or the database) leaves a
			// token that still works until it expires: use it, and try again at the
			// next call. A refusal is not papered over.
			if err != nil && errs.CodeOf(err) != errs.Unauthorized && src.now().Before(g.ExpiresAt) {
				return g.Access, nil
			}
			return tok, err
		}
	}
	return g.Access, nil
}

// Renew replaces seen under the store's row lock (see Store.Refresh): one refresh for
// every replica and caller that saw seen fail.
func (src *Source) Renew(ctx context.Context, seen string) (string, error) {
	g, err := src.store.Refresh(ctx, src.role, seen, src.oauth.Refresh)
	if g.Version != 0 {
		src.keep(g)
	}
	if err != nil {
		if errors.Is(err, ErrNotLoggedIn) {
			return "", errs.Wrap(errs.Unauthorized, err, "no twitch %s account: log in with `mgm twitch login`", src.role)
		}
		if errs.CodeOf(err) == errs.Internal {
			return "", errs.Wrap(errs.Unavailable, err, "refresh the twitch %s token", src.role)
		}
		return "", err
	}
	return g.Access, nil
}

// Validated stores what /oauth2/validate said (user, scopes, expiry).
func (src *Source) Validated(ctx context.Context, seen string, v oauth.Validation) {
	if err := src.store.Validated(ctx, src.role, seen, v); err == nil {
		src.mu.Lock()
		src.has = false // read the updated row next time
		src.mu.Unlock()
	}
}
