package eventsubws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/eventsubws"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/helix"
)

const (
	broadcaster = "1001"
	bot         = "2002"
)

// chat is a handler that subscribes through the real Helix client and records what
// arrives.
type chat struct {
	helix *helix.Client

	mu          sync.Mutex
	sessions    []string
	texts       []string
	ids         map[string]int // chat message_id → times handed over
	revocations []string
}

func (h *chat) Subscribe(ctx context.Context, sessionID string) error {
	_, err := h.helix.CreateEventSubSubscription(ctx, helix.ChatMessageWebSocketSubscription(broadcaster, bot, sessionID))
	if err == nil {
		h.mu.Lock()
		h.sessions = append(h.sessions, sessionID)
		h.mu.Unlock()
	}
	return err
}

func (h *chat) Notification(_ context.Context, m eventsubws.Message) error {
	ev, err := eventsub.DecodeChatMessage(m.Event)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.texts = append(h.texts, ev.Message.Text)
	h.ids[ev.MessageID]++
	return nil
}

func (h *chat) Revocation(_ context.Context, _ string, m eventsubws.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.revocations = append(h.revocations, m.Subscription.Status)
}

func (h *chat) count() (texts, sessions int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.texts), len(h.sessions)
}

type rig struct {
	fake   *fakehelix.Server
	chat   *chat
	client *eventsubws.Client
	logs   *observer.ObservedLogs
	stop   func()
}

func start(t *testing.T, tweak func(*eventsubws.Client)) *rig {
	t.Helper()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	f.AllowShortKeepalive(true)
	cfg := config.Defaults()
	cfg.BroadcasterID, cfg.SenderID = broadcaster, bot
	cfg = f.Configure(cfg)
	h := &chat{helix: helix.New(cfg), ids: map[string]int{}}
	core, logs := observer.New(zap.InfoLevel)
	c := &eventsubws.Client{URL: cfg.EventSubWSURL, Handler: h, Log: zap.New(core), Backoff: 50 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, WelcomeTimeout: 2 * time.Second}
	if tweak != nil {
		tweak(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	r := &rig{fake: f, chat: h, client: c, logs: logs, stop: func() { cancel(); <-done }}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) waitSessions(t *testing.T, n int) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, func() bool {
		_, s := r.chat.count()
		return s >= n && len(r.fake.WSSessions()) == 1 && r.fake.WSSessions()[0].Subscriptions == 1
	}, "%d subscribed sessions", n)
}

func (r *rig) send(text string) {
	r.fake.SendChat(eventsub.ChatMessageOpts{BroadcasterID: broadcaster, UserID: "3003", Text: text, MessageID: "chat-" + text})
}

func (r *rig) logged(msg string) bool { return r.logs.FilterMessageSnippet(msg).Len() > 0 }

func TestClient_ReconnectDuringABurstOf500LosesAndDoublesNothing(t *testing.T) {
	r := start(t, nil)
	r.fake.SetResendOnReconnect(5)
	r.waitSessions(t, 1)
	for i := 0; i < 500; i++ {
		if i == 250 {
			require.Equal(t, 1, r.fake.ReconnectSessions())
		}
		r.send(fmt.Sprint(i))
		if i > 250 && i < 300 {
			time.Sleep(2 * time.Millisecond) // spread the second half over the switch
		}
	}
	testenv.Eventually(t, 20*time.Second, func() bool { n, _ := r.chat.count(); return n >= 500 }, "500 notifications")
	time.Sleep(300 * time.Millisecond) // anything late would show up as a 501st
	r.chat.mu.Lock()
	defer r.chat.mu.Unlock()
	assert.Len(t, r.chat.texts, 500)
	assert.Len(t, r.chat.ids, 500, "every message once")
	for id, n := range r.chat.ids {
		assert.Equal(t, 1, n, id)
	}
	assert.Len(t, r.chat.sessions, 1, "the session carried over: no new subscription")
	assert.EqualValues(t, 1, r.client.Metrics().Reconnects.Load())
	assert.Positive(t, r.client.Metrics().Duplicates.Load(), "the fake resent some; they were dropped")
	assert.Zero(t, r.client.Metrics().Failures.Load())
}

func TestClient_GarbageAndUnknownFramesReconnectWithALogLine(t *testing.T) {
	r := start(t, nil)
	r.waitSessions(t, 1)
	require.Equal(t, 1, r.fake.SendRawFrame("not json at all"))
	r.waitSessions(t, 2)
	assert.True(t, r.logged("session ended; reconnecting"))
	assert.EqualValues(t, 1, r.client.Metrics().BadFrames.Load())

	unknown, _ := json.Marshal(map[string]any{"metadata": map[string]any{"message_id": "m1", "message_type": "session_mystery",
		"message_timestamp": time.Now().UTC().Format(time.RFC3339Nano)}, "payload": map[string]any{}})
	require.Equal(t, 1, r.fake.SendRawFrame(string(unknown)))
	r.waitSessions(t, 3)
	assert.EqualValues(t, 2, r.client.Metrics().BadFrames.Load())
	r.send("after")
	testenv.Eventually(t, 10*time.Second, func() bool { n, _ := r.chat.count(); return n == 1 }, "chat flows on the new session")
}

func TestClient_AWelcomeThatNeverComesIsRetried(t *testing.T) {
	r := start(t, func(c *eventsubws.Client) { c.WelcomeTimeout = 300 * time.Millisecond })
	r.fake.WithholdWelcome(true)
	testenv.Eventually(t, 10*time.Second, func() bool { return r.fake.WSConnects() >= 2 }, "a second attempt")
	assert.True(t, r.logged("session ended; reconnecting"))
	r.fake.WithholdWelcome(false)
	r.waitSessions(t, 1)
}

func TestClient_SilenceBeyondTheKeepaliveReconnects(t *testing.T) {
	r := start(t, func(c *eventsubws.Client) { c.Keepalive = 1 })
	r.waitSessions(t, 1)
	r.fake.PauseKeepalives(true)
	testenv.Eventually(t, 15*time.Second, func() bool { return r.logs.FilterMessageSnippet("session ended").Len() > 0 }, "a keepalive timeout")
	r.fake.PauseKeepalives(false)
	r.waitSessions(t, 2)
	r.send("x")
	testenv.Eventually(t, 10*time.Second, func() bool { n, _ := r.chat.count(); return n == 1 }, "chat after the reconnect")
}

func TestClient_RevocationIsReported(t *testing.T) {
	r := start(t, nil)
	r.waitSessions(t, 1)
	r.fake.RevokeAuthorization(bot)
	testenv.Eventually(t, 10*time.Second, func() bool {
		r.chat.mu.Lock()
		defer r.chat.mu.Unlock()
		return len(r.chat.revocations) == 1
	}, "a revocation")
	assert.Equal(t, fakehelix.StatusAuthorizationRevoked, r.chat.revocations[0])
}
