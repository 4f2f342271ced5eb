// Package service is the gateway: the public HTTP API of docs/product.md §6. It checks who
// is calling (Extension JWT, Desktop API key), limits rates per route class, answers
// the roulette state from memory, proxies the EventSub webhook to ingest and turns
// every other route into one NATS request to the service that owns the data.
package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/sharedstate"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/twitch/connect"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/services/gateway/auth"
	"github.com/mimiron/mgm/services/gateway/ratelimit"
	"github.com/mimiron/mgm/services/gateway/state"
)

// SubscriptionChecker answers whether a Twitch user subscribes to the broadcaster
// (Helix "Get Broadcaster Subscriptions" filtered by user_id).
type SubscriptionChecker interface {
	CheckSubscription(ctx context.Context, broadcasterID, userID string) (bool, error)
}

// The pool/me cache: a viewer's answer is kept until a member event about them
// arrives, and at most this long; beyond this many viewers the cache starts over.
const (
	memberCacheTTL = 30 * time.Second
	memberCacheMax = 500_000
)

// Option adjusts a Gateway built by New.
type Option func(*options)

type options struct {
	checker  SubscriptionChecker
	eventsub http.Handler
}

// WithEventSub serves POST /api/twitch/eventsub with h — ingest's own handler, in the
// one-process mode — instead of proxying it to MGM_INGEST_URL over HTTP.
func WithEventSub(h http.Handler) Option {
	return func(o *options) { o.eventsub = h }
}

// WithSubscriptionChecker replaces the Helix client (tests, benchmarks).
func WithSubscriptionChecker(c SubscriptionChecker) Option {
	return func(o *options) { o.checker = c }
}

// Gateway is the HTTP handler with its dependencies.
type Gateway struct {
	cfg      config.Config
	log      *zap.Logger
	nc       *nats.Conn
	js       jetstream.JetStream
	now      func() time.Time
	echo     *echo.Echo
	verifier *auth.Verifier
	apiKey   auth.APIKey
	view     *sharedstate.View
	members  *state.Members
	viewers  *viewerDirectory
	checker  SubscriptionChecker // nil: subscriber check skipped (development only)

	viewerReads, viewerWrites, desktop *ratelimit.Limiter
	metrics                            *routeMetrics
}

// Run serves the gateway on d.Listener (or d.Config.HTTPAddr) until ctx ends.
func Run(ctx context.Context, d svc.Deps) error { return RunWith(ctx, d) }

// RunWith is Run with options.
func RunWith(ctx context.Context, d svc.Deps, opts ...Option) error {
	var probe options
	for _, opt := range opts {
		opt(&probe)
	}
	d = d.WithDefaults()
	if probe.checker == nil && !d.Config.DevSkipSubscriber {
		// The subscriber check uses the broadcaster's token, from the environment or the
		// shared token store, validated at start and hourly (docs/product.md §12).
		tw, err := connect.Open(ctx, d.Config, connect.Options{Features: []oauth.Feature{oauth.SubscriberCheck},
			Log: d.Log, Metrics: d.Metrics, Clock: d.Clock()})
		if err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		defer tw.Close()
		go tw.Run(ctx)
		opts = append(opts, WithSubscriptionChecker(tw.Helix))
	}
	g, err := New(d, opts...)
	if err != nil {
		return err
	}
	return svc.Serve(ctx, d, svc.Parts{
		HTTP:  g,
		Addr:  d.Config.HTTPAddr,
		Tasks: g.Tasks(),
		Ready: []svc.Check{g.ready},
	})
}

// New builds the gateway; its Tasks keep the state it answers from memory current.
func New(d svc.Deps, opts ...Option) (*Gateway, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if d.NC == nil || d.JS == nil {
		return nil, errors.New("gateway: NATS connection and JetStream are required")
	}
	log := d.Log
	if log == nil {
		log = zap.NewNop()
	}
	cfg, now := d.Config, d.Clock()
	verifier, err := auth.NewVerifier(cfg.ExtensionSecrets, cfg.BroadcasterID, now)
	if err != nil {
		return nil, err
	}
	ingest, err := url.Parse(cfg.IngestURL)
	if err != nil || ingest.Scheme == "" || ingest.Host == "" {
		return nil, fmt.Errorf("MGM_INGEST_URL=%q is not an absolute URL", cfg.IngestURL)
	}
	if cfg.RPCTimeout <= 0 {
		cfg.RPCTimeout = config.Defaults().RPCTimeout
	}
	g := &Gateway{
		cfg:          cfg,
		log:          log,
		nc:           d.NC,
		now:          now,
		verifier:     verifier,
		apiKey:       auth.NewAPIKey(cfg.APIKey),
		view:         sharedstate.NewView(cfg.SpinInterval, now),
		members:      state.NewMembers(memberCacheTTL, memberCacheMax, now),
		viewerReads:  ratelimit.New(cfg.ViewerReadPerMin, now),
		viewerWrites: ratelimit.New(cfg.ViewerWritePerMin, now),
		desktop:      ratelimit.New(cfg.DesktopPerMin, now),
		metrics:      newRouteMetrics(d.Metrics),
	}
	switch {
	case cfg.DevSkipSubscriber:
		log.Warn("MGM_DEV_SKIP_SUBSCRIBER_CHECK is set: claims skip the Helix subscriber check (development only)")
	case o.checker != nil:
		g.checker = o.checker
	default:
		g.checker = newHelixChecker(cfg)
	}
	if len(cfg.ExtensionSecrets) == 0 {
		log.Warn("TWITCH_EXTENSION_SECRETS is empty: every viewer route answers 401")
	}
	if cfg.BroadcasterID == "" {
		log.Warn("TWITCH_BROADCASTER_ID is empty: every viewer route answers 401")
	}
	if cfg.APIKey == "" {
		log.Warn("MGM_API_KEY is empty: every Desktop route answers 403")
	}
	g.js = d.JS
	g.viewers = newViewerDirectory(d.JS, log, now)
	if o.eventsub != nil {
		g.echo = g.routes(o.eventsub)
	} else {
		g.echo = g.routes(newEventSubProxy(ingest, g))
	}
	return g, nil
}

// Tasks are the watches of the state bucket and of the member events that feed what
// the gateway answers from memory, and the writer of the viewer directory (viewers.go);
// they run until the gateway stops.
func (g *Gateway) Tasks() []svc.Task {
	return []svc.Task{
		svc.Loop(func(ctx context.Context) { g.view.Watch(ctx, g.js, g.log) }),
		svc.Loop(func(ctx context.Context) { g.members.Watch(ctx, g.js, g.log) }),
		g.viewers.Run,
	}
}

// ServeHTTP makes the gateway an http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.echo.ServeHTTP(w, r) }

// Ready reports whether NATS is connected and the state watch is live.
func (g *Gateway) Ready() bool { return g.nc.IsConnected() && g.view.Live() }

func (g *Gateway) ready(context.Context) error {
	if !g.view.Live() {
		return errs.E(errs.Unavailable, "state watch not live")
	}
	return nil
}

func (g *Gateway) routes(eventsub http.Handler) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = g.handleError
	e.Use(g.observe)
	e.Use(g.recoverPanics)
	e.Use(noAsteriskTarget)
	if len(g.cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  g.cfg.CORSOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodOptions},
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType},
			ExposeHeaders: []string{echo.HeaderRetryAfter},
			MaxAge:        600,
		}))
	}

	// Twitch → ingest, untouched and never rate-limited. The proxy writes to the server's
	// own ResponseWriter, not echo's: echo.Response takes the first WriteHeader as final,
	// so ingest's "100 Continue" (forwarded to a client that sent Expect: 100-continue)
	// used to swallow the real status, and a refused delivery went out as 200 OK with an
	// error body (issue 12). Twitch reads any 2xx as "delivered".
	e.POST("/api/twitch/eventsub", func(c echo.Context) error {
		eventsub.ServeHTTP(c.Response().Writer, c.Request())
		return nil
	})

	e.GET("/api/roulette/state", g.viewerRoute(g.viewerReads, g.rouletteState))
	e.GET("/api/pool/me", g.viewerRoute(g.viewerReads, g.poolMe))
	e.GET("/api/payouts/my-last", g.viewerRoute(g.viewerReads, g.myLastPayout))
	e.POST("/api/payouts/claim", g.viewerRoute(g.viewerWrites, g.claim))

	desktop := []echo.MiddlewareFunc{g.desktopAuth, g.limitDesktop}
	e.GET("/api/payouts/pending", g.pendingPayouts, desktop...)
	e.PATCH("/api/payouts/:id/status", g.setPayoutStatus, desktop...)
	e.POST("/api/payouts/:id/confirm-acceptance", g.confirmAcceptance, desktop...)
	e.GET("/api/roulette/candidate", g.candidate, desktop...)
	e.POST("/api/roulette/verify-candidate", g.verifyCandidate, desktop...)
	g.giftRoutes(e, desktop)

	e.GET("/api/version", g.version)
	e.GET("/healthz", g.healthz)
	e.GET("/readyz", g.readyz)
	return e
}
