// Package connect is how a service gets its Twitch connection (docs/product.md §12): the
// Helix client with the accounts from the environment or the shared token store, their
// validation at start and every hour, a plain report of what each feature the service
// uses lacks, and metrics that show a withdrawn login. A service calls Open, runs Run
// beside its other work, and Close at the end.
package connect

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/helix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

// Options tune Open.
type Options struct {
	// Features the service uses; the report names only what these lack.
	Features []oauth.Feature
	Log      *zap.Logger
	// Metrics, when set, gets the mgm_twitch_* metrics.
	Metrics prometheus.Registerer
	// HTTPClient and Clock go to the Helix client.
	HTTPClient *http.Client
	Clock      func() time.Time
	// ValidateEvery defaults to helix.ValidateEvery (an hour).
	ValidateEvery time.Duration
	// NoStore skips the token store (a service without DATABASE_URL).
	NoStore bool
}

// Conn is a service's Twitch connection.
type Conn struct {
	Helix *helix.Client
	Store *tokenstore.Store // nil without DATABASE_URL

	o       Options
	log     *zap.Logger
	mu      sync.Mutex
	last    []helix.AccountStatus
	gaps    []oauth.Gap
	usable  *prometheus.GaugeVec
	missing prometheus.Gauge
}

// Open connects the token store (when DATABASE_URL is set: it refuses stored tokens
// without MGM_TOKEN_KEY) and builds the Helix client. It makes no Twitch request.
func Open(ctx context.Context, cfg config.Config, o Options) (*Conn, error) {
	c := &Conn{o: o, log: o.Log}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	var opts []helix.Option
	if o.HTTPClient != nil {
		opts = append(opts, helix.WithHTTPClient(o.HTTPClient))
	}
	if o.Clock != nil {
		opts = append(opts, helix.WithClock(o.Clock))
	}
	if cfg.DatabaseURL != "" && !o.NoStore {
		s, err := tokenstore.Open(ctx, cfg.DatabaseURL, cfg.TokenKey)
		if err != nil {
			return nil, fmt.Errorf("twitch token store: %w", err)
		}
		c.Store = s
		oc := helix.New(cfg, opts...).OAuth() // same application and HTTP client
		opts = append(opts,
			helix.WithUserTokens(oauth.Broadcaster, s.Source(oauth.Broadcaster, oc)),
			helix.WithUserTokens(oauth.Bot, s.Source(oauth.Bot, oc)))
	}
	c.Helix = helix.New(cfg, opts...)
	if o.Metrics != nil {
		if err := c.register(o.Metrics); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Close releases the store.
func (c *Conn) Close() {
	if c.Store != nil {
		c.Store.Close()
	}
}

// Run validates every account now and then every ValidateEvery until ctx ends, logging
// what changed: an account that cannot be used is an error in plain words ("log in
// again"), a feature that lacks a scope a warning.
func (c *Conn) Run(ctx context.Context) {
	every := c.o.ValidateEvery
	if every <= 0 {
		every = helix.ValidateEvery
	}
	c.Helix.KeepValidated(ctx, every, c.report)
}

// Check validates once and reports, for a service's start.
func (c *Conn) Check(ctx context.Context) ([]helix.AccountStatus, []oauth.Gap) {
	c.report(c.Helix.Validate(ctx))
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.gaps
}

func (c *Conn) report(accounts []helix.AccountStatus) {
	var broadcaster, bot *oauth.Account
	for _, a := range accounts {
		switch a.Role {
		case oauth.Broadcaster:
			broadcaster = a.Account()
		case oauth.Bot:
			bot = a.Account()
		}
		if c.usable != nil {
			v := 0.0
			if a.Err == nil {
				v = 1
			}
			c.usable.WithLabelValues(string(a.Role)).Set(v)
		}
	}
	gaps := oauth.Check(broadcaster, bot, c.o.Features...)
	c.mu.Lock()
	before := c.last
	changed := !sameStatus(before, accounts) || fmt.Sprint(gaps) != fmt.Sprint(c.gaps)
	c.last, c.gaps = accounts, gaps
	c.mu.Unlock()
	if c.missing != nil {
		c.missing.Set(float64(len(gaps)))
	}
	if !changed {
		return
	}
	for _, a := range accounts {
		if a.Err != nil {
			c.log.Error("twitch account cannot be used", zap.String("account", string(a.Role)), zap.String("source", a.Source),
				zap.String("why", a.Err.Error()))
			continue
		}
		c.log.Info("twitch account checked", zap.String("account", string(a.Role)), zap.String("source", a.Source),
			zap.String("user", a.Login+" ("+a.UserID+")"), zap.Strings("scopes", a.Scopes), zap.Duration("expiresIn", a.ExpiresIn))
	}
	for _, g := range gaps {
		c.log.Warn("twitch: a feature lacks a scope or an account; log in again with `mgm twitch login`", zap.String("missing", g.String()))
	}
	if len(gaps) == 0 && len(c.o.Features) > 0 {
		c.log.Info("twitch: every feature this service uses has the scopes it needs")
	}
}

// Accounts and Gaps are the last report.
func (c *Conn) Accounts() ([]helix.AccountStatus, []oauth.Gap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.gaps
}

func sameStatus(a, b []helix.AccountStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Role != b[i].Role || a[i].UserID != b[i].UserID || (a[i].Err == nil) != (b[i].Err == nil) ||
			strings.Join(a[i].Scopes, " ") != strings.Join(b[i].Scopes, " ") {
			return false
		}
	}
	return true
}

func (c *Conn) register(r prometheus.Registerer) error {
	m := c.Helix.Metrics()
	c.usable = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mgm_twitch_account_usable",
		Help: "1 when the Twitch account's token validated at the last check, 0 when it cannot be used (log in again)."}, []string{"account"})
	c.missing = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mgm_twitch_feature_gaps",
		Help: "Scopes or accounts the service's Twitch features lack (see mgm twitch status)."})
	counter := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	for _, col := range []prometheus.Collector{
		c.usable, c.missing,
		counter("mgm_twitch_validations_total", "Calls to /oauth2/validate.", m.Validations.Load),
		counter("mgm_twitch_validations_refused_total", "Tokens /oauth2/validate said are invalid.", m.ValidationRefused.Load),
		counter("mgm_twitch_token_renewals_total", "User tokens renewed with their refresh token.", m.Renewals.Load),
		counter("mgm_twitch_token_renewals_refused_total", "Refreshes Twitch refused: someone must log in again.", m.RenewalsRefused.Load),
	} {
		if err := r.Register(col); err != nil {
			return err
		}
	}
	return nil
}
