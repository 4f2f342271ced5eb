package fakehelix_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

type wsMsg struct {
	Metadata struct {
		MessageID   string `json:"message_id"`
		MessageType string `json:"message_type"`
	} `json:"metadata"`
	Payload struct {
		Session struct {
			ID                      string  `json:"id"`
			Status                  string  `json:"status"`
			KeepaliveTimeoutSeconds *int    `json:"keepalive_timeout_seconds"`
			ReconnectURL            *string `json:"reconnect_url"`
		} `json:"session"`
		Subscription struct {
			Status string `json:"status"`
		} `json:"subscription"`
		Event json.RawMessage `json:"event"`
	} `json:"payload"`
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func next(t *testing.T, c *websocket.Conn) wsMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	require.NoError(t, err)
	var m wsMsg
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return m
}

func nextSkippingKeepalives(t *testing.T, c *websocket.Conn) wsMsg {
	t.Helper()
	for {
		if m := next(t, c); m.Metadata.MessageType != "session_keepalive" {
			return m
		}
	}
}

func closeCode(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestWebSocket_WelcomeSubscribeNotifyAndReconnectCarriesTheSession(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	user, _ := f.IssueUserToken("20", fakehelix.BotScopes...)
	c := dial(t, f.WebSocketURL()+"?keepalive_timeout_seconds=3")
	w := next(t, c)
	require.Equal(t, "session_welcome", w.Metadata.MessageType)
	assert.Equal(t, "connected", w.Payload.Session.Status)
	assert.Equal(t, 10, *w.Payload.Session.KeepaliveTimeoutSeconds, "3 is below Twitch's minimum: the nearest acceptable value")
	sid := w.Payload.Session.ID

	app := appToken(t, f)
	assert.Equal(t, http.StatusUnauthorized, helixJSON(t, f, "POST", "/eventsub/subscriptions", app, subBody("websocket", sid, "10", "20")).status,
		"WebSocket subscriptions need a user token")
	other, _ := f.IssueUserToken("21", fakehelix.BotScopes...)
	assert.Equal(t, http.StatusForbidden, helixJSON(t, f, "POST", "/eventsub/subscriptions", other, subBody("websocket", sid, "10", "20")).status,
		"the condition's user_id must be the token's user")
	a := helixJSON(t, f, "POST", "/eventsub/subscriptions", user, subBody("websocket", sid, "10", "20"))
	require.Equal(t, http.StatusAccepted, a.status, a.raw)
	assert.Equal(t, fakehelix.StatusEnabled, a.body["data"].([]any)[0].(map[string]any)["status"])

	require.Equal(t, 1, f.SendChat(eventsub.ChatMessageOpts{BroadcasterID: "10", UserID: "5", Text: "one"}))
	n := nextSkippingKeepalives(t, c)
	assert.Equal(t, "notification", n.Metadata.MessageType)
	first := n.Metadata.MessageID

	require.Equal(t, 1, f.ReconnectSessions())
	r := nextSkippingKeepalives(t, c)
	require.Equal(t, "session_reconnect", r.Metadata.MessageType)
	require.NotNil(t, r.Payload.Session.ReconnectURL)
	assert.Nil(t, r.Payload.Session.KeepaliveTimeoutSeconds)

	c2 := dial(t, *r.Payload.Session.ReconnectURL)
	w2 := next(t, c2)
	require.Equal(t, "session_welcome", w2.Metadata.MessageType)
	assert.Equal(t, sid, w2.Payload.Session.ID)
	resent := nextSkippingKeepalives(t, c2)
	assert.Equal(t, first, resent.Metadata.MessageID, "at-least-once: the last notification comes again with its id")
	require.Equal(t, 1, f.SendChat(eventsub.ChatMessageOpts{BroadcasterID: "10", UserID: "5", Text: "two"}))
	assert.Equal(t, "notification", nextSkippingKeepalives(t, c2).Metadata.MessageType)
	assert.Equal(t, websocket.StatusNormalClosure, closeCode(t, c), "the old connection is closed after the move")
	assert.Len(t, f.WSSessions(), 1)

	require.NoError(t, c2.Close(websocket.StatusNormalClosure, ""))
	deadline := time.Now().Add(5 * time.Second)
	for len(f.WSSessions()) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	subs := f.Subscriptions()
	require.Len(t, subs, 1)
	assert.Equal(t, fakehelix.StatusWebSocketDisconnected, subs[0].Status)
}

func TestWebSocket_ClosesUnusedAndTalkativeConnections(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.AllowShortKeepalive(true)
	c := dial(t, f.WebSocketURL()+"?keepalive_timeout_seconds=1")
	w := next(t, c)
	assert.Equal(t, 1, *w.Payload.Session.KeepaliveTimeoutSeconds)
	assert.Equal(t, websocket.StatusCode(fakehelix.CloseUnused), closeCode(t, c), "no subscription within the keepalive window")

	c = dial(t, f.WebSocketURL())
	next(t, c)
	require.NoError(t, c.Write(context.Background(), websocket.MessageText, []byte(`{"hello":1}`)))
	assert.Equal(t, websocket.StatusCode(fakehelix.CloseInboundTraffic), closeCode(t, c))

	c = dial(t, f.WebSocketURL()+"?reconnect_id=nope")
	assert.Equal(t, websocket.StatusCode(fakehelix.CloseInvalidReconnect), closeCode(t, c))
}

func TestWebSocket_RevocationFrame(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	user, _ := f.IssueUserToken("20", fakehelix.BotScopes...)
	c := dial(t, f.WebSocketURL())
	sid := next(t, c).Payload.Session.ID
	a := helixJSON(t, f, "POST", "/eventsub/subscriptions", user, subBody("websocket", sid, "10", "20"))
	require.Equal(t, http.StatusAccepted, a.status, a.raw)
	f.RevokeAuthorization("20")
	m := nextSkippingKeepalives(t, c)
	assert.Equal(t, "revocation", m.Metadata.MessageType)
	assert.Equal(t, fakehelix.StatusAuthorizationRevoked, m.Payload.Subscription.Status)
}

func TestWebSocket_TheSubscribeWindowIsTenSecondsWhateverTheKeepalive(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.SetSubscribeWindow(300 * time.Millisecond) // Twitch's 10 seconds, shortened
	c := dial(t, f.WebSocketURL()+"?keepalive_timeout_seconds=30")
	w := next(t, c)
	require.Equal(t, 30, *w.Payload.Session.KeepaliveTimeoutSeconds)
	start := time.Now()
	assert.Equal(t, websocket.StatusCode(fakehelix.CloseUnused), closeCode(t, c))
	assert.Less(t, time.Since(start), 5*time.Second, "a 30-second keepalive does not lengthen the window to subscribe")
}

func TestWebSocket_KeepalivesStopOnceAReconnectIsAskedForAndWebSocketCostIsCappedAtTen(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.AllowShortKeepalive(true)
	user, _ := f.IssueUserToken("20", fakehelix.BotScopes...)
	c := dial(t, f.WebSocketURL()+"?keepalive_timeout_seconds=1")
	sid := next(t, c).Payload.Session.ID
	a := helixJSON(t, f, "POST", "/eventsub/subscriptions", user, subBody("websocket", sid, "10", "20"))
	require.Equal(t, http.StatusAccepted, a.status, a.raw)
	assert.EqualValues(t, 10, a.body["max_total_cost"], "a user's WebSocket subscriptions may cost 10 in all")

	require.Equal(t, 1, f.ReconnectSessions())
	require.Equal(t, "session_reconnect", nextSkippingKeepalives(t, c).Metadata.MessageType)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	_, b, err := c.Read(ctx)
	assert.Error(t, err, "no keepalive after session_reconnect (got %s): the client must move", b)
}
