package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
	"github.com/mimiron/mgm/services/mgm/allinone"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// The "done when": `make run` with TWITCH_CLIENT_ID set — here pointed at the
// fake Twitch — a login through the device code flow, and chat enrollment over the
// EventSub WebSocket with no public address (docs/streamer-guide.md, setup A).
func TestMakeRun_WithAClientID_LogInByDeviceCodeAndEnrollOverWebSocket(t *testing.T) {
	f := fakehelix.New()
	t.Cleanup(f.Close)
	f.SetDeviceTiming(time.Minute, 1)
	const channel = "424242"

	// What the streamer sets: the application, the key, the transport. No tokens, no
	// broadcaster id, no callback.
	cfg := config.Defaults()
	cfg.ClientID, cfg.ClientSecret = fakehelix.ClientID, fakehelix.ClientSecret
	cfg.HelixBaseURL, cfg.AuthBaseURL, cfg.EventSubWSURL = f.URL(), f.URL(), f.WebSocketURL()
	cfg.TokenKey = tokenstore.NewKey()
	cfg.EventSubTransport = "websocket"
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.HTTPAddr, cfg.IngestAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ExtensionSecrets = []string{allinone.DevExtensionSecret}
	cfg.ViewerReadPerMin = 1_000_000
	cfg.LogLevel = "warn"

	// `mgm twitch login`: the streamer opens the address and approves as the channel.
	out := &testenv.Buffer{}
	code := regexp.MustCompile(`code  ([A-Z]{8})`)
	go func() {
		for i := 0; i < 1000; i++ {
			if m := code.FindStringSubmatch(out.String()); m != nil {
				assert.NoError(t, f.Approve(m[1], channel))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	require.NoError(t, twitchCommand(cfg, []string{"login"}, out), out.String())
	assert.Contains(t, out.String(), "Logged in as user"+channel)

	// `make run`.
	sys, err := allinone.Start(context.Background(), allinone.Options{Config: cfg, DataDir: t.TempDir(), Log: testenv.Logger(t)})
	require.NoError(t, err)
	t.Cleanup(sys.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, sys.WaitReady(ctx))
	require.Nil(t, sys.Helix, "a configured application: no fake started by the system itself")
	assert.Equal(t, channel, sys.Config.BroadcasterID, "the channel is the logged-in broadcaster's")

	testenv.Eventually(t, 30*time.Second, func() bool {
		s := f.WSSessions()
		return len(s) == 1 && s[0].Subscriptions == 1
	}, "ingest connected to the EventSub WebSocket and subscribed")
	subs := f.Subscriptions()
	require.Len(t, subs, 1)
	assert.Equal(t, "websocket", subs[0].Transport.Method)
	assert.Equal(t, map[string]string{"broadcaster_user_id": channel, "user_id": channel}, subs[0].Condition)

	require.Equal(t, 1, f.SendChat(eventsub.ChatMessageOpts{BroadcasterID: channel, UserID: "5551", UserName: "Viewer",
		Text: "!twgold Норинн", Badges: []string{"subscriber"}}))
	s := &allinonetest.System{System: sys}
	token := s.ViewerToken("5551")
	testenv.Eventually(t, 15*time.Second, func() bool {
		var me events.PoolMeReply
		status, _ := s.Do(t, http.MethodGet, "/api/pool/me", token, nil, &me)
		return status == http.StatusOK && me.IsEnrolled && me.CharacterName != nil && *me.CharacterName == "Норинн"
	}, "the viewer enrolled from chat over the WebSocket")

	var status bytes.Buffer
	require.NoError(t, twitchCommand(cfg, []string{"status"}, &status))
	assert.Contains(t, status.String(), "user"+channel+" ("+channel+")")
	assert.Contains(t, status.String(), "chat transport: websocket")
	assert.Contains(t, status.String(), "every feature has the scopes it needs")
}
