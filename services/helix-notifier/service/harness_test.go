package service_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"

	"github.com/mimiron/mgm/services/helix-notifier/adapters"
	"github.com/mimiron/mgm/services/helix-notifier/cli"
	ndomain "github.com/mimiron/mgm/services/helix-notifier/domain"
	"github.com/mimiron/mgm/services/helix-notifier/service"
)

const (
	broadcaster = "1001"
	sender      = "2002"
)

type harness struct {
	t    *testing.T
	url  string
	cfg  config.Config
	nc   *nats.Conn
	js   jetstream.JetStream
	fake *fakehelix.Server
	logs *observer.ObservedLogs
	log  *zap.Logger
	repo *adapters.Postgres
	db   *pgxpool.Pool
	// metrics is the registry of the replica started last; ops, when set, is where the
	// next replica serves /healthz, /readyz and /metrics.
	metrics *prometheus.Registry
	// registries are every replica's, in start order.
	registries []*prometheus.Registry
	ops        net.Listener
	mu         sync.Mutex
	notify     []received
}

type received struct {
	subject string
	msgID   string
	notice  events.RewardNotice
}

// fastOptions shorten every delay so the retry paths run in well under a second.
func fastOptions() service.Options {
	o := service.DefaultOptions()
	o.Backoff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond}
	o.MaxDeliver = 8
	o.AckWait = time.Second
	o.PostTimeout = 300 * time.Millisecond
	o.StaleAfter = 600 * time.Millisecond
	o.BreakerFailures = 3
	o.BreakerOpenFor = 300 * time.Millisecond
	o.MaxRateWait = 10 * time.Second
	return o
}

// start prepares NATS, PostgreSQL and the fake Helix; replicas are started with run.
func start(t *testing.T, tweak ...func(*config.Config)) *harness {
	t.Helper()
	_, url := testenv.NATS(t)
	f := fakehelix.New()
	t.Cleanup(f.Close)
	cfg := config.Defaults()
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.BroadcasterID = broadcaster
	cfg.SenderID = sender
	cfg = f.Configure(cfg)
	for _, fn := range tweak {
		fn(&cfg)
	}
	nc, js := testenv.Conn(t, url)
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(zapcore.NewTee(core, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Core()))
	h := &harness{t: t, url: url, cfg: cfg, nc: nc, js: js, fake: f, logs: logs, log: log}
	require.NoError(t, natsx.EnsureStreams(context.Background(), js, events.StreamPayout, events.StreamNotify))
	sub, err := nc.Subscribe("mgm.notify.reward.>", func(m *nats.Msg) {
		var n events.RewardNotice
		if _, err := events.Decode(m.Data, &n); err != nil {
			return
		}
		h.mu.Lock()
		h.notify = append(h.notify, received{m.Subject, m.Header.Get(jetstream.MsgIDHeader), n})
		h.mu.Unlock()
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	pool, err := adapters.Schema.Open(context.Background(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	h.repo, h.db = adapters.New(pool), pool
	// Whatever a test did, no credential may reach the logs.
	t.Cleanup(h.assertNoSecretsLogged)
	return h
}

// replica runs one notifier with its own NATS connection; the returned stop cancels it
// and waits for Run to return.
func (h *harness) replica(o service.Options) (stop func()) {
	t := h.t
	nc, js := testenv.Conn(t, h.url)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h.metrics = prometheus.NewRegistry()
	h.registries = append(h.registries, h.metrics)
	d := svc.Deps{Config: h.cfg, Log: h.log, NC: nc, JS: js, Metrics: h.metrics, Ops: h.ops}
	h.ops = nil
	go func() {
		done <- service.RunWith(ctx, d, o)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Error("helix-notifier Run did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// sent publishes a payout's InProgress → Sent change the way the payout service's relay
// does, and returns the payout id.
func (h *harness) sent(name string) string {
	h.t.Helper()
	id := uuid.NewString()
	h.publishStatus(id, name, domain.PayoutInProgress, domain.PayoutSent)
	return id
}

func (h *harness) publishStatus(id, name, from, to string) {
	h.t.Helper()
	ev := events.PayoutEvent{
		Payout: events.Payout{ID: id, TwitchUserID: "u-" + name, TwitchDisplayName: name, CharacterName: name,
			GoldAmount: 1000, Status: to, Version: 3},
		From: from, To: to, LifetimeSentGold: 1000,
	}
	env, err := events.New("", events.PayoutStatusChanged, "payout", time.Now(), ev)
	require.NoError(h.t, err)
	_, err = natsx.PublishEvent(context.Background(), h.js, env)
	require.NoError(h.t, err)
}

func (h *harness) postsFor(name string) []fakehelix.Post {
	want := "Награда отправлена персонажу " + name + " на почту, проверяй ящик!"
	var out []fakehelix.Post
	for _, p := range h.fake.Posts() {
		if p.Message == want {
			out = append(out, p)
		}
	}
	return out
}

func (h *harness) notices(subject, payoutID string) []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []received
	for _, r := range h.notify {
		if r.subject == subject && r.notice.PayoutID == payoutID {
			out = append(out, r)
		}
	}
	return out
}

func (h *harness) waitNotice(subject, payoutID string) received {
	h.t.Helper()
	testenv.Eventually(h.t, 20*time.Second, func() bool { return len(h.notices(subject, payoutID)) > 0 },
		"no %s for payout %s", subject, payoutID)
	return h.notices(subject, payoutID)[0]
}

// seed writes the announcement of a payout as change leaves it, the way a notifier
// would have.
func (h *harness) seed(payoutID, name string, change func(a *ndomain.Announcement)) {
	h.t.Helper()
	_, err := h.repo.Update(context.Background(), payoutID, ndomain.NewAnnouncement(payoutID, name, time.Now()),
		func(a *ndomain.Announcement) error { change(a); return nil })
	require.NoError(h.t, err)
}

// metric reads a counter of the replica started last.
func (h *harness) metric(name string) int64 {
	h.t.Helper()
	families, err := h.metrics.Gather()
	require.NoError(h.t, err)
	for _, f := range families {
		if f.GetName() == "mgm_helix_notifier_"+name+"_total" {
			return int64(f.GetMetric()[0].GetCounter().GetValue())
		}
	}
	h.t.Fatalf("no counter %s", name)
	return 0
}

// metricSum adds a counter up over every replica started.
func (h *harness) metricSum(name string) int64 {
	h.t.Helper()
	var sum int64
	for _, reg := range h.registries {
		families, err := reg.Gather()
		require.NoError(h.t, err)
		for _, f := range families {
			if f.GetName() == "mgm_helix_notifier_"+name+"_total" {
				sum += int64(f.GetMetric()[0].GetCounter().GetValue())
			}
		}
	}
	return sum
}

func (h *harness) state(payoutID string) *ndomain.Announcement {
	h.t.Helper()
	a, err := h.repo.Get(context.Background(), payoutID)
	require.NoError(h.t, err)
	return a
}

// drained waits until the payout consumer has nothing pending or unacked.
func (h *harness) drained(stream, durable string) {
	h.t.Helper()
	testenv.Eventually(h.t, 20*time.Second, func() bool {
		c, err := h.js.Consumer(context.Background(), stream, durable)
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		if err != nil || info.NumRedelivered > 0 {
			return false
		}
		ok, err := testenv.CaughtUp(context.Background(), h.js, stream, durable)
		return err == nil && ok
	}, "consumer %s did not drain", durable)
}

func (h *harness) cli(args ...string) (string, error) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := h.cfg
	cfg.NATSURL = h.url
	err := cli.Run(ctx, cfg, args, &out)
	return out.String(), err
}

// loggedText is every log entry, message and fields, as text.
func (h *harness) loggedText() string {
	var b bytes.Buffer
	for _, e := range h.logs.All() {
		fmt.Fprintf(&b, "%s %s %v\n", e.Level, e.Message, e.ContextMap())
	}
	return b.String()
}

func (h *harness) assertNoSecretsLogged() {
	text := h.loggedText()
	for _, s := range append(h.fake.Secrets(), h.cfg.SenderToken, h.cfg.SenderRefresh, h.cfg.BroadcasterToken, h.cfg.BroadcasterRefresh, h.cfg.ClientSecret) {
		if s != "" {
			assert.NotContains(h.t, text, s, "a credential reached the logs")
		}
	}
}

// errorLogged reports an error-level entry whose message contains msg.
func (h *harness) errorLogged(msg string) bool {
	for _, e := range h.logs.FilterLevelExact(zap.ErrorLevel).All() {
		if bytes.Contains([]byte(e.Message), []byte(msg)) {
			return true
		}
	}
	return false
}
