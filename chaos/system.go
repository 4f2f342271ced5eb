package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

// Development identities of the run (the same values the one-process mode prints).
const (
	broadcasterID   = "100000001"
	senderID        = "100000002"
	eventSubSecret  = "mgm-chaos-eventsub-secret"
	extensionSecret = "bWdtLWRldi1leHRlbnNpb24tc2VjcmV0LTMyYnl0ZXMh"
	apiKey          = "mgm-chaos-api-key"
)

// replicasOf is how many copies of each service run: two of each, three of roulette
// (the draw elects one replica per boundary) — what deployments/k8s declares.
func replicasOf(service string) int {
	if service == "roulette" {
		return 3
	}
	return 2
}

// system is the whole deployment of the run.
type system struct {
	dir, bin  string
	nats      *natsCluster
	pg        *postgres
	helix     *fakehelix.Server
	cfg       config.Config
	replicas  map[string][]*proc
	ingestLB  *balancer
	gatewayLB *balancer
	nc        *nats.Conn
	js        jetstream.JetStream
	db        *pgxpool.Pool
	upAt      time.Time // every replica ready
}

// serviceEnv is the environment every replica gets (pkg/config's variables).
func serviceEnv(cfg config.Config) []string {
	kv := map[string]string{
		"NATS_URL":                         cfg.NATSURL,
		"DATABASE_URL":                     cfg.DatabaseURL,
		"MGM_NATS_REPLICAS":                strconv.Itoa(cfg.NATSReplicas),
		"MGM_SPIN_INTERVAL":                strconv.FormatFloat(cfg.SpinInterval.Seconds(), 'f', -1, 64),
		"MGM_API_KEY":                      cfg.APIKey,
		"MGM_LOG_LEVEL":                    "info",
		"MGM_RATE_DESKTOP_PER_MIN":         strconv.Itoa(cfg.DesktopPerMin),
		"MGM_RATE_VIEWER_READS_PER_MIN":    strconv.Itoa(cfg.ViewerReadPerMin),
		"TWITCH_BROADCASTER_ID":            cfg.BroadcasterID,
		"TWITCH_EVENTSUB_SECRET":           cfg.EventSubSecret,
		"TWITCH_EXTENSION_SECRETS":         strings.Join(cfg.ExtensionSecrets, ","),
		"TWITCH_CLIENT_ID":                 cfg.ClientID,
		"TWITCH_CLIENT_SECRET":             cfg.ClientSecret,
		"TWITCH_HELIX_BASE_URL":            cfg.HelixBaseURL,
		"TWITCH_AUTH_BASE_URL":             cfg.AuthBaseURL,
		"TWITCH_BROADCASTER_TOKEN":         cfg.BroadcasterToken,
		"TWITCH_BROADCASTER_REFRESH_TOKEN": cfg.BroadcasterRefresh,
		"TWITCH_SENDER_ID":                 cfg.SenderID,
		"TWITCH_SENDER_TOKEN":              cfg.SenderToken,
		"TWITCH_SENDER_REFRESH_TOKEN":      cfg.SenderRefresh,
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+kv[k])
	}
	return env
}

// startServices starts every replica of every service, and the two balancers in front
// of ingest (the Ingress route for Twitch) and the gateway (everything else).
func (s *system) startServices() error {
	base := serviceEnv(s.cfg)
	s.replicas = map[string][]*proc{}
	port := func() int {
		p, err := freePort()
		if err != nil {
			panic(err) // the loopback interface is gone: nothing else would run either
		}
		return p
	}
	type replica struct{ ops, http int }
	plan := map[string][]replica{}
	for _, name := range serviceNames {
		for i := 0; i < replicasOf(name); i++ {
			r := replica{ops: port()}
			if name == "ingest" || name == "gateway" {
				r.http = port()
			}
			plan[name] = append(plan[name], r)
		}
	}
	targets := func(name string) []target {
		var out []target
		for _, r := range plan[name] {
			out = append(out, target{fmt.Sprintf("http://127.0.0.1:%d", r.http), fmt.Sprintf("http://127.0.0.1:%d/readyz", r.ops)})
		}
		return out
	}
	var err error
	if s.ingestLB, err = newBalancer("ingest", targets("ingest")); err != nil {
		return err
	}
	if s.gatewayLB, err = newBalancer("gateway", targets("gateway")); err != nil {
		return err
	}
	for _, name := range serviceNames {
		for i, r := range plan[name] {
			env := append([]string{}, base...)
			env = append(env, fmt.Sprintf("MGM_OPS_ADDR=127.0.0.1:%d", r.ops))
			switch name {
			case "ingest":
				env = append(env, fmt.Sprintf("MGM_INGEST_ADDR=127.0.0.1:%d", r.http))
			case "gateway":
				env = append(env, fmt.Sprintf("MGM_HTTP_ADDR=127.0.0.1:%d", r.http), "MGM_INGEST_URL="+s.ingestLB.URL)
			}
			p := &proc{
				name: fmt.Sprintf("%s#%d", name, i+1), bin: filepath.Join(s.bin, name), env: env,
				logPath:      filepath.Join(s.dir, "logs", fmt.Sprintf("%s-%d.log", name, i+1)),
				supervised:   true,
				restartDelay: time.Second,
				readyURL:     fmt.Sprintf("http://127.0.0.1:%d/readyz", r.ops),
			}
			if err := p.start(); err != nil {
				return err
			}
			s.replicas[name] = append(s.replicas[name], p)
		}
	}
	return nil
}

// waitReady waits until every replica's /readyz (MGM_OPS_ADDR) answers 200: its NATS
// and PostgreSQL are usable and it serves.
func (s *system) waitReady(ctx context.Context) error {
	for _, p := range s.allReplicas() {
		for !p.ready() {
			if ctx.Err() != nil {
				return fmt.Errorf("%s not ready (log: %s)", p.name, p.logPath)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func (s *system) allReplicas() []*proc {
	var out []*proc
	for _, name := range serviceNames {
		out = append(out, s.replicas[name]...)
	}
	return out
}

func (s *system) stop() {
	var wg sync.WaitGroup
	for _, p := range s.allReplicas() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop(5 * time.Second)
		}()
	}
	wg.Wait()
	for _, lb := range []*balancer{s.ingestLB, s.gatewayLB} {
		if lb != nil {
			lb.close()
		}
	}
}
