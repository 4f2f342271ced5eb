package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

// approveWhenAsked is the streamer: once out shows the device code, they open the
// address and approve it as channel (on the fake Twitch).
func approveWhenAsked(t *testing.T, f *fakehelix.Server, out *testenv.Buffer, channel string) {
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
}

// `make run` as main starts it: the one-process mode's own data directory and key file.
func runOptions(t *testing.T, cfgDir string, o allinone.Options) allinone.Options {
	o.DataDir, o.Log, o.KeyFile = cfgDir, testenv.Logger(t), true
	return o
}

// The streamer's first `make run` with only TWITCH_CLIENT_ID set, in a terminal: it asks
// for the device login itself (it used to stop and say to run `mgm twitch login` first),
// stores the grant, and serves the channel that logged in.
func TestMakeRun_OnATerminalWithNoChannel_LogsInThenServesTheLoggedInChannel(t *testing.T) {
	t.Parallel()
	const channel = "424248"
	f, cfg := localSetup(t)
	out := &testenv.Buffer{}
	approveWhenAsked(t, f, out, channel)
	sys, err := startSystem(context.Background(), runOptions(t, cfg.DataDir, allinone.Options{Config: cfg}), out, true)
	require.NoError(t, err, out.String())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, sys.WaitReady(ctx))
	assert.Equal(t, channel, sys.Config.BroadcasterID, "the channel is the one that just logged in")
	assert.Contains(t, out.String(), "open  "+f.URL())
	assert.Contains(t, out.String(), "Logged in as user"+channel)
	testenv.Eventually(t, 30*time.Second, func() bool {
		s := f.WSSessions()
		return len(s) == 1 && s[0].Subscriptions == 1
	}, "ingest subscribed to the logged-in channel's chat")
	assert.Equal(t, map[string]string{"broadcaster_user_id": channel, "user_id": channel}, f.Subscriptions()[0].Condition)
	sys.Stop()

	// The grant is stored: the next start, even without a terminal, asks nothing.
	again := &testenv.Buffer{}
	sys, err = startSystem(context.Background(), runOptions(t, cfg.DataDir, allinone.Options{Config: cfg}), again, false)
	require.NoError(t, err)
	t.Cleanup(sys.Stop)
	assert.Equal(t, channel, sys.Config.BroadcasterID)
	assert.Empty(t, again.String())
}

// Without a terminal (CI, a service manager) nobody can enter a code: `make run` keeps
// refusing at once and says how to log in.
func TestMakeRun_NotOnATerminalWithNoChannel_RefusesAndSaysToLogIn(t *testing.T) {
	t.Parallel()
	f, cfg := localSetup(t)
	out := &testenv.Buffer{}
	_, err := startSystem(context.Background(), runOptions(t, cfg.DataDir, allinone.Options{Config: cfg}), out, false)
	require.ErrorIs(t, err, allinone.ErrNoChannel)
	assert.Contains(t, err.Error(), "twitch login")
	assert.Empty(t, out.String(), "no device code asked for")
	assert.Empty(t, f.WSSessions(), "nothing connected to Twitch")
}
