package e2e

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/fakeapi"
	"github.com/mimiron/mgm/desktop/internal/loop"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/wowclient"
)

// The streamer is disconnected to the login screen while the client holds the chat log
// back (4 KiB stdio-style buffer, no timed flush: the worst case pkg/wowclient
// chatlog.go can justify), so the addon's [MGM_BYE] of the session is not in the file.
// The gate the session's last pong opened must not let the next command — the /who of
// a new spin — be typed into the login screen's account field; once the streamer is
// back in the world, the command is typed and acknowledged.
func TestStale_NothingTypedIntoTheLoginScreenWhileTheByeIsHeldBack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api := fakeapi.New("k3y")
	t.Cleanup(api.Close)
	game, err := loop.StartGame(ctx, t.TempDir(), func(o *wowclient.Options) { o.LogBuffer = 4096 })
	require.NoError(t, err)
	t.Cleanup(func() { game.Close() })
	// the client writes its buffer out now and then while in the world (ambient chat, a
	// full chunk); here: every 50 ms, until flushing stops
	var flushing atomic.Bool
	flushing.Store(true)
	go func() {
		for ctx.Err() == nil {
			if flushing.Load() {
				game.FlushLog()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	keys := loop.NewKeys(game)
	desk := loop.NewDesktop(t.TempDir(), api.URL, "k3y", game.LogPath(), inject.NewHeadless(keys), t.Logf)
	desk.Options.LiveFor = 2 * time.Second
	t.Cleanup(desk.Stop)
	require.NoError(t, desk.Start(ctx))
	require.Eventually(t, func() bool {
		st := desk.App.State()
		return st.Pairing.Level == "ok" && st.Game == "live"
	}, 30*time.Second, 20*time.Millisecond, "paired and typing")

	flushing.Store(false)
	game.FlushLog()
	require.NoError(t, game.ToLoginScreen())
	require.Positive(t, game.BufferedLogBytes(), "the session's [MGM_BYE] is held in the client's buffer")
	time.Sleep(desk.Options.LiveFor + 500*time.Millisecond)

	api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	require.Eventually(t, func() bool { return len(desk.App.State().Commands) == 1 }, 10*time.Second, 20*time.Millisecond,
		"the /who queued")
	time.Sleep(3 * time.Second)
	assert.Equal(t, wowclient.ScreenLogin, game.Screen())
	assert.Empty(t, game.LoginField(), "a command typed into the login screen's account field")
	assert.Zero(t, game.LoginAttempts())
	assert.Equal(t, "probing", desk.App.State().Game)

	flushing.Store(true)
	require.NoError(t, game.Login())
	require.Eventually(t, func() bool { return api.Count("POST /api/roulette/verify-candidate") == 1 }, 30*time.Second,
		20*time.Millisecond, "the /who typed in the new session and reported")
	assert.Empty(t, game.LoginField())
	assert.Empty(t, game.Errors())
}
