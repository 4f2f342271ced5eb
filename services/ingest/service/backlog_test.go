package service_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/ingest/service"
)

// bus is an embedded NATS server the test stops and starts again on the same address
// and storage, as a restarted NATS would be.
type bus struct {
	t    *testing.T
	dir  string
	port int
	s    *server.Server
}

func newBus(t *testing.T) *bus {
	t.Helper()
	b := &bus{t: t, dir: t.TempDir()}
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: b.dir})
	require.NoError(t, err)
	b.s, b.port = s, s.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() { b.s.Shutdown() })
	return b
}

func (b *bus) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", b.port) }

func (b *bus) stop() {
	b.s.Shutdown()
	b.s.WaitForShutdown()
}

func (b *bus) start() {
	b.t.Helper()
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: b.dir, Port: b.port})
	require.NoError(b.t, err)
	b.s = s
}

// wsIngest is ingest on the WebSocket transport with a bus the test can take away.
func wsIngest(t *testing.T, opts ...func(*service.Options)) (*twitchIngest, *bus) {
	t.Helper()
	b := newBus(t)
	quick := func(o *service.Options) {
		o.Backlog.Backoff, o.Backlog.MaxBackoff, o.Backlog.Stall = 20*time.Millisecond, 200*time.Millisecond, 500*time.Millisecond
	}
	ti := startTwitchOn(t, b.s, b.url(), wsConfig(t), append([]func(*service.Options){quick}, opts...)...)
	testenv.Eventually(t, 20*time.Second, func() bool {
		s := ti.fake.WSSessions()
		return len(s) == 1 && s[0].Subscriptions == 1
	}, "a subscribed WebSocket session")
	return ti, b
}

func (ti *twitchIngest) sendGold(t *testing.T, i int) {
	t.Helper()
	require.Equal(t, 1, ti.fake.SendChat(eventsub.ChatMessageOpts{BroadcasterID: broadcaster, UserID: fmt.Sprint(1000 + i),
		UserLogin: fmt.Sprintf("viewer%03d", i), Text: fmt.Sprintf("!twgold Name%03d", i), Badges: []string{"subscriber"}}))
}

// readyz is ingest's own /readyz: its status and, when unready, the error body.
func (ti *twitchIngest) readyz(t *testing.T) (int, string) {
	t.Helper()
	a := ti.do(http.Get(ti.base + "/readyz"))
	return a.status, a.body
}

// eachOnce checks that exactly the commands want are on the bus, each once.
func (ti *twitchIngest) eachOnce(t *testing.T, want []int) {
	t.Helper()
	cmds := ti.commands(t)
	assert.Len(t, cmds, len(want))
	for _, i := range want {
		assert.Equal(t, 1, cmds[fmt.Sprintf("!twgold Name%03d", i)], i)
	}
	assert.Len(t, ti.streamMsgs(t), len(want), "none doubled on the bus")
}

func upTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestTwitch_WebSocketChatReadWhileTheBusIsDownIsStoredEachOnceWhenItReturns(t *testing.T) {
	t.Parallel()
	ti, b := wsIngest(t)
	ti.fake.SetResendOnReconnect(5)

	// A burst of 350 commands; NATS goes away at the 100th, while the first ones are
	// still being stored, and Twitch moves the session at the 250th.
	for i := 0; i < 350; i++ {
		switch i {
		case 100:
			b.stop()
		case 250:
			require.Equal(t, 1, ti.fake.ReconnectSessions())
		}
		ti.sendGold(t, i)
	}
	// The socket is still read: everything after the outage waits in the backlog,
	// tried again and again (the old transport gave up after four tries), and
	// /readyz says so.
	testenv.Eventually(t, 30*time.Second, func() bool {
		return gauge(t, ti.metrics, "mgm_ingest_websocket_backlog") >= 250 &&
			gauge(t, ti.metrics, "mgm_ingest_websocket_publish_retries_total") >= 10
	}, "the commands read during the outage wait in the backlog")
	status, body := ti.readyz(t)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, body, string(errs.Unavailable))
	assert.Equal(t, float64(1), gauge(t, ti.metrics, "mgm_ingest_websocket_reconnects_total"), "session_reconnect followed during the outage")
	assert.Equal(t, float64(0), gauge(t, ti.metrics, "mgm_ingest_websocket_failures_total"), "the session never broke")
	assert.Positive(t, ti.logs.FilterMessageSnippet("trying again until it takes it").Len())

	b.start()
	testenv.Eventually(t, 60*time.Second, func() bool {
		return gauge(t, ti.metrics, "mgm_ingest_websocket_backlog") == 0 && len(ti.commands(t)) == 350
	}, "350 commands once the bus is back")
	ti.eachOnce(t, upTo(350))
	testenv.Eventually(t, 10*time.Second, func() bool { s, _ := ti.readyz(t); return s == http.StatusOK }, "ready again")
	assert.Equal(t, float64(0), gauge(t, ti.metrics, "mgm_ingest_websocket_backlog_dropped_total"))
	assert.Equal(t, 1, len(ti.fake.WSSessions()), "one session throughout")
	assert.Positive(t, ti.logs.FilterMessageSnippet("takes chat commands again").Len())
}

func TestTwitch_AFullBacklogDropsNewCommandsLoudlyAndKeepsTheOldest(t *testing.T) {
	t.Parallel()
	ti, _ := wsIngest(t, func(o *service.Options) { o.Backlog.Cap = 20 })
	// This time NATS stays up and the stream goes away (deleted by mistake): ingest is
	// connected, and /readyz names the backlog.
	ctx := context.Background()
	require.NoError(t, ti.js.DeleteStream(ctx, events.StreamChat.Name))
	for i := 0; i < 30; i++ {
		ti.sendGold(t, i)
	}
	testenv.Eventually(t, 20*time.Second, func() bool {
		return gauge(t, ti.metrics, "mgm_ingest_websocket_backlog_dropped_total") == 10
	}, "the ten over the cap dropped")
	assert.Equal(t, float64(20), gauge(t, ti.metrics, "mgm_ingest_websocket_backlog"))
	status, body := ti.readyz(t)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, body, "chat backlog full")
	assert.Equal(t, 1, ti.logs.FilterMessageSnippet("chat backlog full").Len(), "one headline per episode")
	lost := ti.logs.FilterMessageSnippet("chat command lost")
	require.Equal(t, 10, lost.Len(), "each dropped command named, so it can be entered by hand")
	for j, e := range lost.All() {
		assert.Equal(t, fmt.Sprintf("!twgold Name%03d", 20+j), e.ContextMap()["text"])
		assert.Equal(t, fmt.Sprintf("viewer%03d", 20+j), e.ContextMap()["userLogin"])
	}

	require.NoError(t, natsx.EnsureStreams(ctx, ti.js, events.StreamChat))
	testenv.Eventually(t, 30*time.Second, func() bool {
		return gauge(t, ti.metrics, "mgm_ingest_websocket_backlog") == 0 && len(ti.commands(t)) == 20
	}, "the twenty kept are stored")
	ti.eachOnce(t, upTo(20))
	testenv.Eventually(t, 10*time.Second, func() bool { s, _ := ti.readyz(t); return s == http.StatusOK }, "ready again")
	assert.Positive(t, ti.logs.FilterMessageSnippet("below its cap again").Len())
	// Room again: the next command is kept and stored.
	ti.sendGold(t, 30)
	testenv.Eventually(t, 10*time.Second, func() bool { return ti.commands(t)["!twgold Name030"] == 1 }, "stored")
}

func TestTwitch_AStopWhileTheBusIsDownStoresTheBacklogIfTheBusReturnsWithinTheGrace(t *testing.T) {
	t.Parallel()
	ti, b := wsIngest(t, func(o *service.Options) { o.Backlog.DrainGrace = time.Minute })
	b.stop()
	for i := 0; i < 10; i++ {
		ti.sendGold(t, i)
	}
	testenv.Eventually(t, 20*time.Second, func() bool { return gauge(t, ti.metrics, "mgm_ingest_websocket_backlog") == 10 }, "ten waiting")
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ti.stop()
	}()
	testenv.Eventually(t, 10*time.Second, func() bool {
		return ti.logs.FilterMessageSnippet("storing the chat commands still waiting").Len() == 1
	}, "the stop drains the backlog")
	select {
	case <-stopped:
		t.Fatal("ingest stopped without waiting for the bus")
	default:
	}
	b.start()
	select {
	case <-stopped:
	case <-time.After(45 * time.Second):
		t.Fatal("ingest did not stop once the backlog was stored")
	}
	ti.eachOnce(t, upTo(10))
	assert.Zero(t, ti.logs.FilterMessageSnippet("chat command lost").Len())
}

func TestTwitch_AStopWhileTheBusStaysDownNamesEachCommandLost(t *testing.T) {
	t.Parallel()
	ti, b := wsIngest(t, func(o *service.Options) { o.Backlog.DrainGrace = 300 * time.Millisecond })
	b.stop()
	for i := 0; i < 5; i++ {
		ti.sendGold(t, i)
	}
	testenv.Eventually(t, 20*time.Second, func() bool { return gauge(t, ti.metrics, "mgm_ingest_websocket_backlog") == 5 }, "five waiting")
	ti.stop()
	assert.Equal(t, float64(5), gauge(t, ti.metrics, "mgm_ingest_websocket_backlog_lost_total"))
	var texts []string
	for _, e := range ti.logs.FilterMessageSnippet("chat command lost").All() {
		texts = append(texts, e.ContextMap()["text"].(string))
	}
	assert.Equal(t, "!twgold Name000 !twgold Name001 !twgold Name002 !twgold Name003 !twgold Name004", strings.Join(texts, " "))
	assert.Equal(t, 1, ti.logs.FilterMessageSnippet("chat commands lost at stop").Len())
}

func TestTwitch_ACommandWaitingLongerThanTheStallMakesIngestUnready(t *testing.T) {
	t.Parallel()
	ti, _ := wsIngest(t)
	ctx := context.Background()
	status, _ := ti.readyz(t)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, ti.js.DeleteStream(ctx, events.StreamChat.Name))
	ti.sendGold(t, 0)
	var body string
	testenv.Eventually(t, 20*time.Second, func() bool {
		status, body = ti.readyz(t)
		return status == http.StatusServiceUnavailable
	}, "unready once the command has waited longer than the stall (500 ms here)")
	assert.Contains(t, body, "1 chat command(s) wait for the message bus, the oldest for")

	require.NoError(t, natsx.EnsureStreams(ctx, ti.js, events.StreamChat))
	testenv.Eventually(t, 20*time.Second, func() bool { s, _ := ti.readyz(t); return s == http.StatusOK }, "ready again")
	ti.eachOnce(t, []int{0})
}
