package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/services/ingest/cli"
)

func setup(t *testing.T) (*fakehelix.Server, config.Config) {
	t.Helper()
	fake := fakehelix.New()
	t.Cleanup(fake.Close)
	// Twitch enables a webhook subscription only after the callback echoes its
	// challenge; these tests route the public callbacks to a receiver that does.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Challenge string `json:"challenge"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, body.Challenge)
	}))
	t.Cleanup(echo.Close)
	fake.Route("https://mgm.example.com", echo.URL)
	fake.Route("https://other.example.com", echo.URL)
	cfg := config.Defaults()
	cfg.BroadcasterID = "1971641"
	cfg.EventSubSecret = "cli-test-secret-0123"
	cfg.EventSubCallback = "https://mgm.example.com/api/twitch/eventsub"
	return fake, fake.Configure(cfg)
}

func run(t *testing.T, cfg config.Config, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := cli.Run(context.Background(), cfg, args, &out)
	return out.String(), err
}

func TestCLI_SubscribeListUnsubscribe(t *testing.T) {
	t.Parallel()
	fake, cfg := setup(t)

	out, err := run(t, cfg, "subscribe")
	require.NoError(t, err, out)
	subs := fake.Subscriptions()
	require.Len(t, subs, 1)
	s := subs[0]
	assert.Equal(t, "channel.chat.message", s.Type)
	assert.Equal(t, "1", s.Version)
	assert.Equal(t, map[string]string{"broadcaster_user_id": "1971641", "user_id": "1971641"}, s.Condition)
	assert.Equal(t, "webhook", s.Transport.Method)
	assert.Equal(t, cfg.EventSubCallback, s.Transport.Callback)
	assert.Equal(t, cfg.EventSubSecret, s.Secret, "Twitch signs deliveries with the secret ingest verifies")
	assert.Contains(t, out, s.ID)

	out, err = run(t, cfg, "subscriptions")
	require.NoError(t, err)
	assert.Contains(t, out, s.ID)
	assert.Contains(t, out, "broadcaster_user_id=1971641,user_id=1971641")
	assert.Contains(t, out, cfg.EventSubCallback)

	// Subscribing again reports the existing subscription instead of failing.
	out, err = run(t, cfg, "subscribe")
	require.NoError(t, err)
	assert.Contains(t, out, "already exists")
	assert.Contains(t, out, s.ID)
	assert.Len(t, fake.Subscriptions(), 1)

	out, err = run(t, cfg, "unsubscribe", s.ID)
	require.NoError(t, err)
	assert.Contains(t, out, "deleted "+s.ID)
	assert.Empty(t, fake.Subscriptions())

	_, err = run(t, cfg, "unsubscribe", s.ID)
	assert.ErrorContains(t, err, "no subscription")

	out, err = run(t, cfg, "subscriptions")
	require.NoError(t, err)
	assert.Contains(t, out, "no EventSub subscriptions")
}

func TestCLI_SubscribeReadsChatAsSenderOrGivenUser(t *testing.T) {
	t.Parallel()
	fake, cfg := setup(t)
	cfg.SenderID = "2914196"
	// Reading chat with an app token needs the reader's user:read:chat and user:bot
	// (https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage).
	fake.Authorize("2914196", fakehelix.BotScopes...)
	fake.Authorize("555", fakehelix.BotScopes...)
	_, err := run(t, cfg, "subscribe")
	require.NoError(t, err)
	_, err = run(t, cfg, "subscribe", "-user", "555", "-callback", "https://other.example.com/api/twitch/eventsub")
	require.NoError(t, err)
	subs := fake.Subscriptions()
	require.Len(t, subs, 2)
	assert.Equal(t, "2914196", subs[0].Condition["user_id"])
	assert.Equal(t, "555", subs[1].Condition["user_id"])
	assert.Equal(t, "https://other.example.com/api/twitch/eventsub", subs[1].Transport.Callback)
}

func TestCLI_NamesMissingConfiguration(t *testing.T) {
	t.Parallel()
	fake, cfg := setup(t)
	bare := config.Defaults()
	bare.HelixBaseURL, bare.AuthBaseURL = cfg.HelixBaseURL, cfg.AuthBaseURL

	_, err := run(t, bare, "subscriptions")
	assert.ErrorContains(t, err, "TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET")

	noSub := cfg
	noSub.EventSubSecret, noSub.EventSubCallback, noSub.BroadcasterID = "", "", ""
	_, err = run(t, noSub, "subscribe")
	assert.ErrorContains(t, err, "TWITCH_BROADCASTER_ID, TWITCH_EVENTSUB_SECRET, TWITCH_EVENTSUB_CALLBACK_URL")
	assert.Empty(t, fake.Subscriptions())
}

func TestCLI_UsageErrors(t *testing.T) {
	t.Parallel()
	_, cfg := setup(t)
	for _, args := range [][]string{{}, {"frobnicate"}, {"unsubscribe"}, {"unsubscribe", "a", "b"}, {"subscriptions", "x"}, {"subscribe", "-nope"}} {
		out, err := run(t, cfg, args...)
		assert.ErrorIs(t, err, cli.ErrUsage, "%v", args)
		assert.Contains(t, out, "usage", "%v", args)
	}
	out, err := run(t, cfg, "help")
	assert.NoError(t, err)
	assert.Contains(t, out, "ingest subscribe")
}
