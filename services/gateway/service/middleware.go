package service

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/gateway/auth"
	"github.com/mimiron/mgm/services/gateway/ratelimit"
)

// viewerHandler is a route handler for a verified viewer.
type viewerHandler func(c echo.Context, v auth.Viewer) error

// viewerRoute admits callers with a valid Extension token, limits them per viewer
// within the route class of l, then runs h. The viewer is passed along rather than
// stored in the context, which would cost a map per request.
func (g *Gateway) viewerRoute(l *ratelimit.Limiter, h viewerHandler) echo.HandlerFunc {
	return func(c echo.Context) error {
		header, err := single(c, echo.HeaderAuthorization)
		if err != nil {
			return err
		}
		v, err := g.verifier.Authorization(header)
		if err != nil {
			return err
		}
		if err := allow(c, l, v.RateKey()); err != nil {
			return err
		}
		g.viewers.Seen(v) // the opaque id a whisper reaches them under (viewers.go)
		return h(c, v)
	}
}

// desktopAuth admits the Desktop: X-MGM-ApiKey, compared in constant time.
func (g *Gateway) desktopAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := single(c, auth.HeaderAPIKey)
		if err != nil {
			return err
		}
		if err := g.apiKey.Check(key); err != nil {
			return err
		}
		return next(c)
	}
}

// limitDesktop limits the Desktop's key (there is one key per deployment).
func (g *Gateway) limitDesktop(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := allow(c, g.desktop, "apikey"); err != nil {
			return err
		}
		return next(c)
	}
}

// single is the one value of a credentials header. Two values are ambiguous — which one
// did the caller mean, and which one did a proxy add? — so they are refused, whatever
// they hold (the HTTP sweep of issue 12 found the first one taken).
func single(c echo.Context, name string) (string, error) {
	vs := c.Request().Header.Values(name)
	if len(vs) > 1 {
		return "", errs.E(errs.Unauthorized, "more than one %s header", name)
	}
	if len(vs) == 0 {
		return "", nil
	}
	return vs[0], nil
}

func allow(c echo.Context, l *ratelimit.Limiter, key string) error {
	ok, wait := l.Allow(key)
	if ok {
		return nil
	}
	secs := int(wait.Seconds())
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	return errs.E(errs.RateLimited, "too many requests; retry in %d s", secs).
		WithDetails(map[string]any{"retryAfterSeconds": secs})
}
