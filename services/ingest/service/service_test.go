package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/ingest/ports"
	"github.com/mimiron/mgm/services/ingest/service"
)

const (
	secret      = "ingest-test-secret-0123"
	broadcaster = "1971641"
)

type ingest struct {
	t       *testing.T
	base    string
	nats    *server.Server
	js      jetstream.JetStream
	metrics *prometheus.Registry
	send    *eventsub.Sender
}

// start runs ingest (the same Run the binaries use) against a fresh embedded NATS.
func start(t *testing.T, webhookSecret string) *ingest {
	t.Helper()
	ns, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := config.Defaults()
	cfg.EventSubSecret = webhookSecret
	cfg.BroadcasterID = broadcaster
	m := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- service.RunWith(ctx, svc.Deps{Config: cfg, Log: testenv.Logger(t), NC: nc, JS: js, Listener: ln, Metrics: m},
			service.Options{PublishTimeout: time.Second})
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	base := "http://" + ln.Addr().String()
	testenv.Eventually(t, 5*time.Second, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "ingest healthz")
	return &ingest{t: t, base: base, nats: ns, js: js, metrics: m, send: eventsub.NewSender(secret, base+ports.Path)}
}

// counter reads a counter of ingest's registry (code: the value of its "code" label, ""
// for a counter without labels); 0 when it was never counted.
func (in *ingest) counter(name, code string) int64 {
	in.t.Helper()
	families, err := in.metrics.Gather()
	require.NoError(in.t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := code == ""
			for _, l := range m.GetLabel() {
				match = match || (l.GetName() == "code" && l.GetValue() == code)
			}
			if match {
				return int64(m.GetCounter().GetValue())
			}
		}
	}
	return 0
}

type answer struct {
	status      int
	contentType string
	body        string
}

func (in *ingest) do(resp *http.Response, err error) answer {
	t := in.t
	t.Helper()
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// errorBody checks a docs/product.md §6 error body and returns its code.
func errorBody(t *testing.T, a answer) errs.Code {
	t.Helper()
	assert.Equal(t, "application/json", a.contentType)
	var body struct {
		Code    errs.Code      `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.body), &body), a.body)
	assert.NotEmpty(t, body.Message)
	assert.NotNil(t, body.Details, "details is {} not null")
	return body.Code
}

func (in *ingest) streamMsgs(t *testing.T) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	st, err := in.js.Stream(ctx, events.StreamChat.Name)
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

func chat(text string, badges ...string) eventsub.ChatMessageOpts {
	return eventsub.ChatMessageOpts{BroadcasterID: broadcaster, UserID: "4145994", UserName: "Viewer32", Text: text, Badges: badges}
}

func TestWebhook_SignedTwGoldIsPublishedBeforeTheAnswer(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	opts := chat("!twgold Thrall", "subscriber", "vip")
	opts.MessageID = "chat-msg-1"
	resp, err := in.send.ChatMessage(ctx, opts, eventsub.WithDeliveryID("delivery-1"))
	a := in.do(resp, err)
	require.Equal(t, http.StatusNoContent, a.status, a.body)

	// No polling: the event is on the stream by the time the 2xx arrives.
	msgs := in.streamMsgs(t)
	require.Len(t, msgs, 1)
	assert.Equal(t, events.ChatTwGold, msgs[0].Subject)
	assert.Equal(t, "delivery-1", msgs[0].Header.Get(jetstream.MsgIDHeader))
	var cmd events.ChatCommand
	env, err := events.Decode(msgs[0].Data, &cmd)
	require.NoError(t, err)
	assert.Equal(t, "delivery-1", env.ID)
	assert.Equal(t, events.ChatTwGold, env.Type)
	assert.Equal(t, "ingest", env.Source)
	assert.Equal(t, events.ChatCommand{
		MessageID:         "chat-msg-1",
		BroadcasterUserID: broadcaster,
		UserID:            "4145994",
		UserLogin:         "viewer32",
		UserName:          "Viewer32",
		Text:              "!twgold Thrall",
		Badges:            []string{"subscriber", "vip"},
		SentAt:            cmd.SentAt,
	}, cmd)
	assert.WithinDuration(t, time.Now(), cmd.SentAt, time.Minute)
	assert.Equal(t, int64(1), in.counter("mgm_ingest_chat_commands_published_total", ""))
}

func TestWebhook_TwGiftAndSharedChatArePublishedForTheirConsumers(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	a := in.do(in.send.ChatMessage(ctx, chat("!TWGIFT  Артас")))
	require.Equal(t, http.StatusNoContent, a.status, a.body)
	relay := chat("!twgold Jaina", "subscriber")
	relay.SourceBroadcasterID = "112233"
	a = in.do(in.send.ChatMessage(ctx, relay))
	require.Equal(t, http.StatusNoContent, a.status, a.body)

	msgs := in.streamMsgs(t)
	require.Len(t, msgs, 2)
	assert.Equal(t, events.ChatTwGift, msgs[0].Subject)
	var gift, gold events.ChatCommand
	_, err := events.Decode(msgs[0].Data, &gift)
	require.NoError(t, err)
	assert.Equal(t, "!TWGIFT  Артас", gift.Text)
	assert.Empty(t, gift.SourceBroadcasterUserID)

	assert.Equal(t, events.ChatTwGold, msgs[1].Subject)
	_, err = events.Decode(msgs[1].Data, &gold)
	require.NoError(t, err)
	assert.Equal(t, "112233", gold.SourceBroadcasterUserID, "pool refuses relays; ingest passes the source on")
}

func TestWebhook_OrdinaryChatIsAcknowledgedWithoutPublishing(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	for _, text := range []string{"hello chat", "", "!twgold", "!twgold Thrall please", "!twgoldfish Thrall", "Kappa !twgold Thrall", "!TWGIFT"} {
		a := in.do(in.send.ChatMessage(ctx, chat(text, "subscriber")))
		assert.Equal(t, http.StatusNoContent, a.status, "%q: %s", text, a.body)
	}
	assert.Empty(t, in.streamMsgs(t))
	assert.Equal(t, int64(7), in.counter("mgm_ingest_chat_messages_ignored_total", ""))
}

func TestWebhook_AnswersVerificationChallengeAsPlainText(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	a := in.do(in.send.Verification(context.Background(), "pogchamp-kappa-360noscope-vohiyo"))
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "text/plain", a.contentType)
	assert.Equal(t, "pogchamp-kappa-360noscope-vohiyo", a.body)

	a = in.do(in.send.Verification(context.Background(), "challenge", eventsub.WithBadSignature()))
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, errs.InvalidSignature, errorBody(t, a))
}

func TestWebhook_CountsRevocations(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	a := in.do(in.send.Revocation(ctx, eventsub.StatusAuthorizationRevoked))
	assert.Equal(t, http.StatusNoContent, a.status, a.body)
	a = in.do(in.send.Revocation(ctx, eventsub.StatusUserRemoved))
	assert.Equal(t, http.StatusNoContent, a.status, a.body)
	assert.Equal(t, int64(2), in.counter("mgm_ingest_revocations_total", ""))

	m := in.do(http.Get(in.base + "/metrics"))
	assert.Equal(t, http.StatusOK, m.status)
	assert.Contains(t, m.body, "\nmgm_ingest_revocations_total 2\n")
	assert.Empty(t, in.streamMsgs(t))
}

func TestWebhook_RefusesBadSignatures(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	body := in.send.ChatMessageBody(chat("!twgold Thrall", "subscriber"))

	a := in.do(in.send.ChatMessage(ctx, chat("!twgold Thrall", "subscriber"), eventsub.WithBadSignature()))
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, errs.InvalidSignature, errorBody(t, a))

	for _, header := range []string{eventsub.HeaderMessageSignature, eventsub.HeaderMessageID, eventsub.HeaderMessageTimestamp} {
		req, err := in.send.NewRequest(ctx, eventsub.TypeNotification, eventsub.SubscriptionChatMessage, body)
		require.NoError(t, err)
		req.Header.Del(header)
		a := in.do(http.DefaultClient.Do(req))
		assert.Equal(t, http.StatusForbidden, a.status, "without %s", header)
		assert.Equal(t, errs.InvalidSignature, errorBody(t, a))
	}

	// A signed body altered in transit.
	req, err := in.send.NewRequest(ctx, eventsub.TypeNotification, eventsub.SubscriptionChatMessage, body)
	require.NoError(t, err)
	req.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "Thrall", "Arthas", 1)))
	a = in.do(http.DefaultClient.Do(req))
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, errs.InvalidSignature, errorBody(t, a))

	assert.Empty(t, in.streamMsgs(t))
	assert.Equal(t, int64(5), in.counter("mgm_ingest_deliveries_refused_total", string(errs.InvalidSignature)))
}

func TestWebhook_EmptySecretRefusesEveryDelivery(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	in.send.Secret = "" // even a delivery "signed" with the empty secret
	a := in.do(in.send.ChatMessage(context.Background(), chat("!twgold Thrall", "subscriber")))
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, errs.InvalidSignature, errorBody(t, a))
	a = in.do(in.send.Verification(context.Background(), "challenge"))
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Empty(t, in.streamMsgs(t))
}

func TestWebhook_ReplayWindow(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	cases := []struct {
		name   string
		age    time.Duration
		status int
	}{
		// Older than ten minutes: acknowledged and dropped, so Twitch does not retry it
		// toward notification_failures_exceeded.
		{"eleven minutes old", 11 * time.Minute, http.StatusNoContent},
		{"a day old", 24 * time.Hour, http.StatusNoContent},
		{"three minutes ahead", -3 * time.Minute, http.StatusForbidden},
		{"a day ahead", -24 * time.Hour, http.StatusForbidden},
		{"nine minutes old", 9 * time.Minute, http.StatusNoContent},
		{"a minute ahead", -time.Minute, http.StatusNoContent},
	}
	for _, c := range cases {
		a := in.do(in.send.ChatMessage(ctx, chat("!twgold Thrall", "subscriber"), eventsub.WithAge(c.age)))
		assert.Equal(t, c.status, a.status, "%s: %s", c.name, a.body)
		if c.status == http.StatusForbidden {
			assert.Equal(t, errs.StaleMessage, errorBody(t, a), c.name)
		}
	}
	assert.Len(t, in.streamMsgs(t), 2, "the stale deliveries were dropped, not published")
	assert.Equal(t, int64(2), in.counter("mgm_ingest_deliveries_stale_dropped_total", ""))

	// Ages are measured on the signed header: a timestamp that does not parse is a
	// malformed delivery, not a fresh one.
	a := in.do(in.send.ChatMessage(ctx, chat("!twgold Thrall"), eventsub.WithRawTimestamp("yesterday")))
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, errs.Invalid, errorBody(t, a))
}

func TestWebhook_ReplayWindowIsCoveredByDuplicateWindow(t *testing.T) {
	assert.LessOrEqual(t, ports.MaxAge+ports.MaxSkew, natsx.DuplicateWindow,
		"a delivery id must be remembered for as long as its timestamp is accepted")
	assert.GreaterOrEqual(t, natsx.DuplicateWindow, 10*time.Minute)
}

func TestWebhook_ReplayedDeliveryIDChangesNothing(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	first := chat("!twgold Thrall", "subscriber")
	first.MessageID = "chat-1"
	for range 3 {
		a := in.do(in.send.ChatMessage(ctx, first, eventsub.WithDeliveryID("same-delivery")))
		assert.Equal(t, http.StatusNoContent, a.status, "Twitch must stop retrying: %s", a.body)
	}
	// A forged replay with the same delivery id but other content is deduplicated too.
	other := chat("!twgold Arthas", "subscriber")
	a := in.do(in.send.ChatMessage(ctx, other, eventsub.WithDeliveryID("same-delivery")))
	assert.Equal(t, http.StatusNoContent, a.status)

	msgs := in.streamMsgs(t)
	require.Len(t, msgs, 1)
	var cmd events.ChatCommand
	_, err := events.Decode(msgs[0].Data, &cmd)
	require.NoError(t, err)
	assert.Equal(t, "!twgold Thrall", cmd.Text)
	assert.Equal(t, int64(1), in.counter("mgm_ingest_chat_commands_published_total", ""))
	assert.Equal(t, int64(3), in.counter("mgm_ingest_deliveries_duplicate_total", ""))
}

func TestWebhook_MalformedBodiesAre400WithErrorBody(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	cases := []struct {
		name, typ, body string
	}{
		{"not json", eventsub.TypeNotification, `{not json`},
		{"empty", eventsub.TypeNotification, ``},
		{"array", eventsub.TypeNotification, `[1,2]`},
		{"no event", eventsub.TypeNotification, `{"subscription":{"type":"channel.chat.message"}}`},
		{"chat without chatter", eventsub.TypeNotification, `{"subscription":{"type":"channel.chat.message"},"event":{"broadcaster_user_id":"1","message_id":"m","message":{"text":"!twgold Thrall"}}}`},
		{"badges not a list", eventsub.TypeNotification, `{"subscription":{"type":"channel.chat.message"},"event":{"broadcaster_user_id":"1","chatter_user_id":"2","message_id":"m","badges":"subscriber"}}`},
		{"challenge missing", eventsub.TypeVerification, `{"subscription":{"type":"channel.chat.message"}}`},
		{"no message type", "", `{}`},
		{"too large", eventsub.TypeNotification, `{"pad":"` + strings.Repeat("x", ports.MaxBody) + `"}`},
	}
	for _, c := range cases {
		a := in.do(in.send.Send(ctx, c.typ, eventsub.SubscriptionChatMessage, []byte(c.body)))
		assert.Equal(t, http.StatusBadRequest, a.status, c.name)
		assert.Equal(t, errs.Invalid, errorBody(t, a), c.name)
	}
	assert.Empty(t, in.streamMsgs(t))
}

func TestWebhook_OtherSubscriptionsAndTypesAreAcknowledged(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	ctx := context.Background()
	a := in.do(in.send.Send(ctx, eventsub.TypeNotification, "channel.follow",
		[]byte(`{"subscription":{"type":"channel.follow"},"event":{"user_id":"1"}}`)))
	assert.Equal(t, http.StatusNoContent, a.status, a.body)
	a = in.do(in.send.Send(ctx, "something_new", eventsub.SubscriptionChatMessage, []byte(`{}`)))
	assert.Equal(t, http.StatusNoContent, a.status, a.body)
	assert.Empty(t, in.streamMsgs(t))
}

func TestWebhook_BusDownIs503SoTwitchRetries(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	in.nats.Shutdown()
	in.nats.WaitForShutdown()

	began := time.Now()
	a := in.do(in.send.ChatMessage(context.Background(), chat("!twgold Thrall", "subscriber")))
	assert.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
	assert.Equal(t, errs.Unavailable, errorBody(t, a))
	assert.Less(t, time.Since(began), 2*time.Second, "answered without waiting for a bus that is gone")

	r := in.do(http.Get(in.base + "/readyz"))
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, errs.Unavailable, errorBody(t, r))
	// Ordinary chat needs no bus.
	a = in.do(in.send.ChatMessage(context.Background(), chat("hello")))
	assert.Equal(t, http.StatusNoContent, a.status)
}

func TestWebhook_OnlyPOSTAndKnownRoutes(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	a := in.do(http.Get(in.base + ports.Path))
	assert.Equal(t, http.StatusMethodNotAllowed, a.status)
	assert.Equal(t, errs.MethodNotAllowed, errorBody(t, a))
	a = in.do(http.Get(in.base + "/nope"))
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, errs.NotFound, errorBody(t, a))
	a = in.do(http.Get(in.base + "/readyz"))
	assert.Equal(t, http.StatusOK, a.status)
}
