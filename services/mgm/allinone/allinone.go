// Package allinone runs every Mimiron's Gold-o-Matic service in one process: an
// embedded JetStream server (unless NATS_URL is set), a PostgreSQL found or started
// by scripts/ensure-postgres.sh (unless DATABASE_URL is set), a fake Helix when no
// Twitch application is configured, and the same Run functions the standalone
// binaries start. `make run`, the end-to-end tests and the benchmarks all use it.
package allinone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"

	gateway "github.com/mimiron/mgm/services/gateway/service"
	giftqueue "github.com/mimiron/mgm/services/gift-queue/service"
	notifier "github.com/mimiron/mgm/services/helix-notifier/service"
	ingest "github.com/mimiron/mgm/services/ingest/service"
	payout "github.com/mimiron/mgm/services/payout/service"
	pool "github.com/mimiron/mgm/services/pool/service"
	roulette "github.com/mimiron/mgm/services/roulette/service"
)

// Options configures Start.
type Options struct {
	Config config.Config
	// DataDir holds the embedded NATS store (and a private PostgreSQL if one is started).
	// Defaults to Config.DataDir.
	DataDir string
	Log     *zap.Logger
	// Now is the clock handed to every service; nil means time.Now.
	Now func() time.Time
	// Services limits which services run (names as in Services()); nil runs all.
	Services []string
	// FakeHelix, when set, is used instead of starting one (tests program it).
	FakeHelix *fakehelix.Server
	// KeyFile: with a Twitch application configured and MGM_TOKEN_KEY unset, keep the
	// token key in DataDir/twitch-token.key, generated on first use (LocalTokenKey).
	// The mgm binary sets it when DATABASE_URL is unset, that is when the database is
	// the one-process mode's own.
	KeyFile bool
	// LogIn, when set, is called when a Twitch application is configured and no channel
	// is known (cfg as Start resolved it: database and token key); once it returns nil
	// the channel is the broadcaster login it stored. `make run` sets it on a terminal.
	LogIn func(ctx context.Context, cfg config.Config) error
}

// System is a running one-process deployment.
type System struct {
	URL       string // public HTTP base of the gateway, e.g. http://127.0.0.1:8080
	IngestURL string
	NATSURL   string
	Config    config.Config // the effective configuration (dev defaults filled in)
	NC        *nats.Conn
	JS        jetstream.JetStream
	Helix     *fakehelix.Server // nil when real Twitch is configured
	// TokenKeyFile is the file the Twitch token key is kept in ("" when it comes from
	// MGM_TOKEN_KEY or no key is needed).
	TokenKeyFile string

	log      *zap.Logger
	running  []*running
	ns       *server.Server
	ownHelix bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	errs     []error
}

// Service is one service of the one-process mode: its entry point and, for a service
// with a public HTTP listener, the configuration field that holds its address (Addr)
// and how the bound address is written back (Bound), so every other service reaches it.
type Service struct {
	Name  string
	Run   svc.RunFunc
	Addr  func(cfg config.Config) string
	Bound func(cfg *config.Config, addr string)
}

// Services lists every service the one-process mode starts, in start order. It is the
// one list: start-up, listeners and readiness all follow it.
func Services() []Service {
	// The public address reaches ingest's webhook in the process, without an HTTP hop:
	// ingest hands its handler over, the gateway serves the webhook route with it.
	webhook := &inProcess{}
	return []Service{
		{Name: "pool", Run: pool.Run},
		{Name: "payout", Run: payout.Run},
		{Name: "gift-queue", Run: giftqueue.Run},
		{Name: "roulette", Run: roulette.Run},
		{Name: "helix-notifier", Run: notifier.Run},
		{Name: "ingest", Run: func(ctx context.Context, d svc.Deps) error {
			return ingest.RunWith(ctx, d, ingest.Options{Handler: webhook.set})
		},
			Addr:  func(c config.Config) string { return c.IngestAddr },
			Bound: func(c *config.Config, a string) { c.IngestAddr, c.IngestURL = a, "http://"+a }},
		{Name: "gateway", Run: func(ctx context.Context, d svc.Deps) error {
			return gateway.RunWith(ctx, d, gateway.WithEventSub(webhook))
		},
			Addr:  func(c config.Config) string { return c.HTTPAddr },
			Bound: func(c *config.Config, a string) { c.HTTPAddr = a }},
	}
}

// Start brings the whole system up and returns once every HTTP listener is bound and
// the streams exist. Stop shuts it down.
func Start(ctx context.Context, o Options) (*System, error) {
	cfg := o.Config
	log := o.Log
	if log == nil {
		log = zap.NewNop()
	}
	dataDir := o.DataDir
	if dataDir == "" {
		dataDir = cfg.DataDir
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s := &System{log: log}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()

	// NATS: embedded unless NATS_URL names a server.
	if cfg.NATSURL == "" {
		ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: filepath.Join(dataDir, "nats")})
		if err != nil {
			return nil, err
		}
		s.ns = ns
		cfg.NATSURL = ns.ClientURL()
	}
	s.NATSURL = cfg.NATSURL

	// PostgreSQL: DATABASE_URL, or whatever scripts/ensure-postgres.sh finds or starts.
	if cfg.DatabaseURL == "" {
		url, err := EnsurePostgres(ctx, dataDir)
		if err != nil {
			return nil, err
		}
		cfg.DatabaseURL = url
	}

	// The token key: MGM_TOKEN_KEY, or one kept next to the data.
	if o.KeyFile && o.FakeHelix == nil && cfg.ClientID != "" {
		path := filepath.Join(dataDir, tokenstore.KeyFileName)
		if cfg.TokenKey == "" {
			kf, err := LocalTokenKey(ctx, &cfg, dataDir)
			if err != nil {
				return nil, err
			}
			s.TokenKeyFile = kf.Path
			what := "kept from an earlier start"
			if kf.Created {
				what = "generated now"
			}
			log.Info(KeyNote(kf), zap.String("keyFile", kf.Path), zap.String("key", what))
			if kf.Exposed {
				log.Warn(ExposedNote(kf))
			}
		} else if _, err := os.Stat(path); err == nil {
			log.Info("MGM_TOKEN_KEY is set: it seals the stored Twitch logins, not the key file in the data directory",
				zap.String("keyFile", path))
		}
	}

	// Twitch: a fake Helix when no application is configured.
	if o.FakeHelix != nil {
		s.Helix = o.FakeHelix
	} else if cfg.ClientID == "" {
		h, err := fakehelix.Start("127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("fake helix: %w", err)
		}
		s.Helix, s.ownHelix = h, true
	}
	if s.Helix != nil {
		cfg = withDevTwitch(cfg, s.Helix)
	} else if cfg.BroadcasterID == "" {
		// A real application and no TWITCH_BROADCASTER_ID: the channel is the one
		// `mgm twitch login` logged in (docs/streamer-guide.md).
		id, err := loggedInBroadcaster(ctx, cfg)
		if err == nil && id == "" && o.LogIn != nil {
			if err := o.LogIn(ctx, cfg); err != nil {
				return nil, err
			}
			id, err = loggedInBroadcaster(ctx, cfg)
		}
		if err != nil {
			return nil, err
		}
		if id == "" {
			// Without a channel the notifier cannot start and every viewer route would
			// answer 401: say what to do instead of failing in one of the services.
			return nil, ErrNoChannel
		}
		log.Info("TWITCH_BROADCASTER_ID is not set: serving the logged-in broadcaster's channel", zap.String("broadcasterId", id))
		cfg.BroadcasterID = id
	}
	if cfg.APIKey == "" {
		cfg.APIKey = DevAPIKey
	}

	nc, js, err := natsx.Dial(cfg.NATSURL, "mgm-allinone", cfg.NATSReplicas)
	if err != nil {
		return nil, err
	}
	s.NC, s.JS = nc, js
	if err := natsx.EnsureStreams(ctx, js, events.AllStreams...); err != nil {
		return nil, err
	}

	// Listeners first, so every address is known before any service starts. Every
	// service also gets an ops listener of its own (/healthz, /readyz, /metrics), which
	// WaitReady asks.
	want := map[string]bool{}
	for _, n := range o.Services {
		want[n] = true
	}
	for _, sv := range Services() {
		if len(want) > 0 && !want[sv.Name] {
			continue
		}
		r := &running{Service: sv, metrics: prometheus.NewRegistry()}
		s.running = append(s.running, r)
		ops, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("%s ops listener: %w", sv.Name, err)
		}
		r.ops = ops
		if sv.Addr != nil {
			ln, err := net.Listen("tcp", sv.Addr(cfg))
			if err != nil {
				return nil, fmt.Errorf("%s listen %s: %w", sv.Name, sv.Addr(cfg), err)
			}
			r.ln = ln
			sv.Bound(&cfg, ln.Addr().String())
		}
	}
	s.Config = cfg
	s.URL = "http://" + cfg.HTTPAddr
	s.IngestURL = cfg.IngestURL
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, r := range s.running {
		d := svc.Deps{
			Config:   cfg,
			Log:      log.With(zap.String("service", r.Name)),
			NC:       nc,
			JS:       js,
			Listener: r.ln,
			Ops:      r.ops,
			Metrics:  r.metrics,
			Now:      o.Now,
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := r.Run(runCtx, d); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("service stopped", zap.String("service", r.Name), zap.Error(err))
				s.mu.Lock()
				s.errs = append(s.errs, serviceError(r.Name, err))
				s.mu.Unlock()
			}
		}()
	}
	ok = true
	return s, nil
}

// serviceError is a stopped service's error, named once: most services already
// name themselves in it ("helix-notifier: TWITCH_BROADCASTER_ID is required").
func serviceError(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

// running is a started service with its listeners and its metrics registry.
type running struct {
	Service
	ln      net.Listener // public HTTP, nil for none
	ops     net.Listener
	metrics *prometheus.Registry
}

// OpsURL is the base address of a running service's /healthz, /readyz and /metrics
// ("" when the service is not running).
func (s *System) OpsURL(name string) string {
	for _, r := range s.running {
		if r.Name == name {
			return "http://" + r.ops.Addr().String()
		}
	}
	return ""
}

// WaitReady waits until every started service answers its /readyz with 200: NATS and
// its database usable, its handlers subscribed (and for the gateway, its state feed
// live).
func (s *System) WaitReady(ctx context.Context) error {
	for _, r := range s.running {
		url := "http://" + r.ops.Addr().String() + "/readyz"
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if ctx.Err() != nil {
				return fmt.Errorf("%s not ready: %w", r.Name, ctx.Err())
			}
			if e := s.Err(); e != nil {
				return e
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// Err reports services that stopped with an error.
func (s *System) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// Stop cancels every service, waits for them, and shuts NATS down.
func (s *System) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.cancel == nil { // never started: close what Start had bound
		for _, r := range s.running {
			for _, l := range []net.Listener{r.ln, r.ops} {
				if l != nil {
					_ = l.Close()
				}
			}
		}
	}
	if s.NC != nil {
		s.NC.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	if s.ownHelix && s.Helix != nil {
		s.Helix.Close()
	}
}

// inProcess is ingest's HTTP handler as the gateway reaches it in the one-process mode:
// 503 unavailable (as from an ingest that is not up) until ingest has handed it over.
type inProcess struct{ h atomic.Pointer[http.Handler] }

func (p *inProcess) set(h http.Handler) { p.h.Store(&h) }

func (p *inProcess) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := p.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"code":"unavailable","message":"event intake not started yet","details":{}}`))
}
