package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/domain"
)

// A game installed under Program Files writes its log to UAC's VirtualStore when it is
// not elevated: the Desktop waits for both places and follows the one that appears,
// from its first line.
func TestLog_FollowsTheVirtualStoreCopyOfAProgramFilesInstall(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	wow := filepath.Join(r.dir, "Program Files (x86)", "World of Warcraft")
	local := filepath.Join(r.dir, "Local")
	r.startWith(false, func(o *Options) { o.Settings.WoWDir, o.LocalAppData = wow, local })
	eventually(t, func() bool { return strings.Contains(r.app.State().Log.Text, "waiting for") }, "waiting for the log")
	virtual := settings.LogCandidates(wow, local)[1]
	require.Contains(t, virtual, filepath.Join("Local", "VirtualStore"))

	require.NoError(t, os.MkdirAll(filepath.Dir(virtual), 0o755))
	appendLog(virtual, r.game.sign("[MGM_CONFIRM:"+p.ID+"]")) // the first line of the new file
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "read from the VirtualStore log")
	assert.Contains(t, r.app.State().Log.Text, virtual)
}

// locatedGame is the headless game that also tells where its executable is, as the
// Windows injector does from the game's process.
type locatedGame struct {
	*inject.Headless
	image string
}

func (g locatedGame) GameImage(context.Context) (string, error) { return g.image, nil }

// Without a WoW folder in the settings, the running game's folder is used.
func TestLog_TheRunningGamesFolderWhenNoneIsSet(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	gameDir := filepath.Join(r.dir, "Games", "WoW 3.3.5a")
	logPath := filepath.Join(gameDir, "Logs", "WoWChatLog.txt")
	require.NoError(t, os.MkdirAll(filepath.Dir(logPath), 0o755))
	r.startWith(false, func(o *Options) {
		o.Settings.WoWDir = ""
		o.Injector = locatedGame{Headless: r.inj, image: filepath.Join(gameDir, "Wow.exe")}
	})
	eventually(t, func() bool { return strings.Contains(r.app.State().Log.Text, logPath) }, "the game's own log")
	appendLog(logPath, r.game.sign("[MGM_CONFIRM:"+p.ID+"]"))
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
}

// A sealed API key that cannot be opened (a Windows profile moved to another PC makes
// DPAPI refuse) is a warning and an empty key: the Desktop still starts.
func TestStart_AnUnreadableAPIKeyIsAWarningNotAnExit(t *testing.T) {
	dir := t.TempDir()
	store := &settings.Store{Dir: filepath.Join(dir, "cfg")}
	require.NoError(t, store.Save(settings.Defaults()))
	require.NoError(t, os.MkdirAll(filepath.Join(store.Dir, "apikey"), 0o700)) // unreadable as a file
	require.NoError(t, os.MkdirAll(filepath.Join(store.Dir, "apikey.dpapi"), 0o700))
	var logged []string
	a, err := New(Options{Dir: filepath.Join(dir, "state"), Store: store, Injector: inject.None{},
		Logf: func(f string, args ...any) { logged = append(logged, f) }})
	require.NoError(t, err)
	defer a.Journal().Close()
	st := a.State()
	assert.False(t, st.APIKeySet)
	assert.Equal(t, "error", st.API.Level)
	assert.Contains(t, st.API.Text, "enter it again in Settings")
	require.NotEmpty(t, st.Events)
	assert.Contains(t, st.Events[len(st.Events)-1].Text, "the stored API key could not be read")
}
