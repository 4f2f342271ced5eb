package service_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
	"github.com/mimiron/mgm/services/ingest/ports"
	"github.com/mimiron/mgm/services/ingest/service"
)

const publicCallback = "https://mgm.example.com/api/twitch/eventsub"

// twitchIngest is ingest run against the fake Twitch, with its logs observed.
type twitchIngest struct {
	*ingest
	fake    *fakehelix.Server
	logs    *observer.ObservedLogs
	stop    func()
	natsURL string
	cfg     config.Config
}

// replica starts one ingest with cfg (already pointed at fake) on the shared NATS url,
// connected as the binaries connect (reconnecting for ever); tweak adjusts its options.
func replica(t *testing.T, natsURL string, cfg config.Config, logs *observer.ObservedLogs, core zapcore.Core,
	tweak ...func(*service.Options)) (base string, reg *prometheus.Registry, stop func()) {
	t.Helper()
	nc, err := natsx.Connect(natsURL, "ingest-test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	reg = prometheus.NewRegistry()
	log := zap.New(zapcore.NewTee(core, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Core()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts := service.Options{
		PublishTimeout: time.Second, ReconcileAfter: 100 * time.Millisecond, ReconcileRetry: 200 * time.Millisecond,
		WebSocket: service.WebSocketOptions{WelcomeTimeout: 2 * time.Second, Backoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		LeasePoll: 50 * time.Millisecond,
	}
	for _, f := range tweak {
		f(&opts)
	}
	go func() {
		done <- service.RunWith(ctx, svc.Deps{Config: cfg, Log: log, NC: nc, JS: js, Listener: ln, Metrics: reg}, opts)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		assert.NoError(t, <-done)
	}
	t.Cleanup(stop)
	base = "http://" + ln.Addr().String()
	testenv.Eventually(t, 10*time.Second, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "ingest healthz")
	return base, reg, stop
}

func startTwitch(t *testing.T, tweak func(*config.Config)) *twitchIngest {
	t.Helper()
	ns, url := testenv.NATS(t)
	return startTwitchOn(t, ns, url, tweak)
}

// startTwitchOn is startTwitch on a NATS server of the test's own.
func startTwitchOn(t *testing.T, ns *server.Server, url string, tweak func(*config.Config), opts ...func(*service.Options)) *twitchIngest {
	t.Helper()
	_, js := testenv.Conn(t, url)
	f := fakehelix.New()
	t.Cleanup(f.Close)
	f.SetLogf(t.Logf)
	cfg := config.Defaults()
	cfg.BroadcasterID = broadcaster
	cfg.EventSubSecret = secret
	cfg = f.Configure(cfg)
	cfg.EventSubCallback = publicCallback
	if tweak != nil {
		tweak(&cfg)
	}
	core, logs := observer.New(zap.InfoLevel)
	base, reg, stop := replica(t, url, cfg, logs, core, opts...)
	// The public address reaches this ingest: Twitch's verification challenge is
	// answered by the real webhook with the real secret.
	f.Route("https://mgm.example.com", base)
	return &twitchIngest{ingest: &ingest{t: t, base: base, nats: ns, js: js, metrics: reg, send: eventsub.NewSender(secret, base+ports.Path)},
		fake: f, logs: logs, stop: stop, natsURL: url, cfg: cfg}
}

func (ti *twitchIngest) enabledSubscription(t *testing.T) fakehelix.Subscription {
	t.Helper()
	var sub fakehelix.Subscription
	testenv.Eventually(t, 15*time.Second, func() bool {
		n := 0
		for _, s := range ti.fake.Subscriptions() {
			if s.Status == fakehelix.StatusEnabled {
				sub = s
				n++
			}
		}
		return n == 1
	}, "one enabled subscription")
	return sub
}

func (ti *twitchIngest) commands(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range ti.streamMsgs(t) {
		var c events.ChatCommand
		_, err := events.Decode(m.Data, &c)
		require.NoError(t, err)
		out[c.Text]++
	}
	return out
}

func TestTwitch_WebhookSubscriptionIsVerifiedByIngestAndReconciledAtStart(t *testing.T) {
	t.Parallel()
	ti := startTwitch(t, nil)
	sub := ti.enabledSubscription(t)
	assert.Equal(t, "webhook", sub.Transport.Method)
	assert.Equal(t, publicCallback, sub.Transport.Callback)
	assert.Equal(t, map[string]string{"broadcaster_user_id": broadcaster, "user_id": broadcaster}, sub.Condition)
	assert.Equal(t, float64(1), gauge(t, ti.metrics, "mgm_ingest_verifications_total"))

	require.Equal(t, 1, ti.fake.SendChat(eventsub.ChatMessageOpts{BroadcasterID: broadcaster, UserID: "42", Text: "!twgold Thrall", Badges: []string{"subscriber"}}))
	testenv.Eventually(t, 10*time.Second, func() bool { return ti.commands(t)["!twgold Thrall"] == 1 }, "the command published")
}

func TestTwitch_ARestartNeitherDuplicatesNorKeepsAnOldCallback(t *testing.T) {
	t.Parallel()
	ti := startTwitch(t, func(c *config.Config) { c.EventSubCallback = "https://old.example.com/api/twitch/eventsub" })
	ti.fake.Route("https://old.example.com", ti.base)
	old := ti.enabledSubscription(t)
	ti.stop()

	// The same ingest restarted at its new public address, twice.
	_, url := testenv.NATS(t)
	cfg := config.Defaults()
	cfg.BroadcasterID, cfg.EventSubSecret = broadcaster, secret
	cfg = ti.fake.Configure(cfg)
	cfg.EventSubCallback = publicCallback
	for i := 0; i < 2; i++ {
		core, logs := observer.New(zap.InfoLevel)
		base, _, stop := replica(t, url, cfg, logs, core)
		ti.fake.Route("https://mgm.example.com", base)
		testenv.Eventually(t, 15*time.Second, func() bool {
			return logs.FilterMessageSnippet("chat subscription").Len() > 0
		}, "reconciled")
		sub := ti.enabledSubscription(t)
		assert.Equal(t, publicCallback, sub.Transport.Callback)
		assert.NotEqual(t, old.ID, sub.ID)
		stop()
	}
	assert.Len(t, ti.fake.Subscriptions(), 1, "never a duplicate")
}

func TestTwitch_ARevokedSubscriptionIsCreatedAgain(t *testing.T) {
	t.Parallel()
	ti := startTwitch(t, nil)
	first := ti.enabledSubscription(t)
	require.NoError(t, ti.fake.Revoke(first.ID, fakehelix.StatusNotificationFailuresExceeded))
	testenv.Eventually(t, 15*time.Second, func() bool {
		for _, s := range ti.fake.Subscriptions() {
			if s.ID != first.ID && s.Status == fakehelix.StatusEnabled {
				return true
			}
		}
		return false
	}, "a new enabled subscription")
	assert.Len(t, ti.fake.Subscriptions(), 1, "the revoked one is removed")
	assert.Positive(t, ti.logs.FilterMessageSnippet("too many failed deliveries").Len())
}

func TestTwitch_AWithdrawnAuthorisationAsksForALogin(t *testing.T) {
	t.Parallel()
	ti := startTwitch(t, nil)
	first := ti.enabledSubscription(t)
	ti.fake.RevokeAuthorization(broadcaster)
	testenv.Eventually(t, 15*time.Second, func() bool {
		return ti.logs.FilterMessageSnippet("log in again").Len() > 0
	}, "a log line asking for a login")
	s, ok := ti.fake.Subscription(first.ID)
	require.True(t, ok)
	assert.Equal(t, fakehelix.StatusAuthorizationRevoked, s.Status)
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, ti.fake.Subscriptions(), 1, "nothing is created that Twitch would refuse")
}

// wsConfig switches to the WebSocket transport, with a database for the token store
// and the one-connection lease.
func wsConfig(t *testing.T) func(*config.Config) {
	db, key := testenv.Postgres(t), tokenstore.NewKey()
	return func(c *config.Config) {
		c.EventSubTransport = "websocket"
		c.EventSubCallback = ""
		c.DatabaseURL = db
		c.TokenKey = key
	}
}

func TestTwitch_WebSocketReconnectDuring500ChatMessagesPublishesEachOnce(t *testing.T) {
	t.Parallel()
	ti := startTwitch(t, wsConfig(t))
	ti.fake.SetResendOnReconnect(5)
	testenv.Eventually(t, 20*time.Second, func() bool {
		s := ti.fake.WSSessions()
		return len(s) == 1 && s[0].Subscriptions == 1
	}, "a subscribed WebSocket session")
	assert.Empty(t, ti.fake.Subscriptions()[0].Transport.Callback)

	for i := 0; i < 500; i++ {
		if i == 250 {
			require.Equal(t, 1, ti.fake.ReconnectSessions())
		}
		ti.fake.SendChat(eventsub.ChatMessageOpts{BroadcasterID: broadcaster, UserID: fmt.Sprint(1000 + i),
			Text: fmt.Sprintf("!twgold Name%03d", i), Badges: []string{"subscriber"}})
	}
	testenv.Eventually(t, 30*time.Second, func() bool { return len(ti.commands(t)) == 500 }, "500 commands")
	time.Sleep(300 * time.Millisecond)
	cmds := ti.commands(t)
	assert.Len(t, cmds, 500)
	for text, n := range cmds {
		assert.Equal(t, 1, n, text)
	}
	assert.Len(t, ti.streamMsgs(t), 500, "none doubled on the bus")
	assert.Equal(t, float64(1), gauge(t, ti.metrics, "mgm_ingest_websocket_reconnects_total"))
	assert.Equal(t, float64(0), gauge(t, ti.metrics, "mgm_ingest_websocket_failures_total"))
}

func TestTwitch_WebSocketIsHeldByOneReplicaAndGarbageReconnects(t *testing.T) {
	t.Parallel()
	ti := startTwitch(t, wsConfig(t))
	testenv.Eventually(t, 20*time.Second, func() bool {
		s := ti.fake.WSSessions()
		return len(s) == 1 && s[0].Subscriptions == 1
	}, "a subscribed WebSocket session")

	// A second replica of the same deployment stands by: one connection, one
	// subscription, every message once.
	core2, logs2 := observer.New(zap.InfoLevel)
	_, _, stop2 := replica(t, ti.natsURL, ti.cfg, logs2, core2)
	testenv.Eventually(t, 10*time.Second, func() bool { return logs2.FilterMessageSnippet("standing by").Len() > 0 }, "the second replica stands by")
	assert.Equal(t, 1, ti.fake.WSConnects())

	require.Equal(t, 1, ti.fake.SendRawFrame("definitely not json"))
	testenv.Eventually(t, 20*time.Second, func() bool {
		return gauge(t, ti.metrics, "mgm_ingest_websocket_bad_frames_total") == 1 && len(ti.fake.WSSessions()) == 1 &&
			ti.fake.WSSessions()[0].Subscriptions == 1
	}, "a fresh session after the garbage frame")
	assert.Positive(t, ti.logs.FilterMessageSnippet("session ended; reconnecting").Len())
	ti.fake.SendChat(eventsub.ChatMessageOpts{BroadcasterID: broadcaster, UserID: "9", Text: "!twgold Jaina", Badges: []string{"subscriber"}})
	testenv.Eventually(t, 10*time.Second, func() bool { return ti.commands(t)["!twgold Jaina"] == 1 }, "chat flows again")

	// The holder stops: the standby takes the connection over.
	ti.stop()
	testenv.Eventually(t, 20*time.Second, func() bool {
		s := ti.fake.WSSessions()
		return logs2.FilterMessageSnippet("lease taken").Len() > 0 && len(s) == 1 && s[0].Subscriptions == 1
	}, "the standby holds the connection")
	ti.fake.SendChat(eventsub.ChatMessageOpts{BroadcasterID: broadcaster, UserID: "10", Text: "!twgold Sylvanas", Badges: []string{"subscriber"}})
	testenv.Eventually(t, 10*time.Second, func() bool { return ti.commands(t)["!twgold Sylvanas"] == 1 }, "chat through the standby")
	stop2()
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			m := mf.GetMetric()[0]
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// The separate services take the token key from the environment only: with logins
// stored and MGM_TOKEN_KEY unset they refuse to start, even when the one-process mode's
// key file lies in their data directory (docs/streamer-guide.md, setup B).
func TestTwitch_AServiceRefusesToStartWithStoredLoginsAndNoEnvironmentKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := config.Defaults()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	cfg = f.Configure(cfg)
	cfg.BroadcasterID, cfg.EventSubTransport = broadcaster, "websocket"
	cfg.DatabaseURL, cfg.DataDir = testenv.Postgres(t), t.TempDir()
	kf, err := tokenstore.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, tokenstore.KeyFileName))
	require.NoError(t, err)
	store, err := tokenstore.Open(ctx, cfg.DatabaseURL, kf.Key)
	require.NoError(t, err)
	_, err = store.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: broadcaster, Access: "a", Refresh: "r"})
	require.NoError(t, err)
	store.Close()

	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = service.RunWith(rctx, svc.Deps{Config: cfg, Log: testenv.Logger(t), NC: nc, JS: js, Listener: ln}, service.Options{})
	require.ErrorIs(t, err, tokenstore.ErrKeyMissing)
	assert.ErrorContains(t, err, "MGM_TOKEN_KEY is not set")
}
