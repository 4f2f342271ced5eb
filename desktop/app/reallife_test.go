package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
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

// twoClients is the headless game seen as one of two running clients: nothing is typed
// until the streamer chooses (inject.ChooseWindow decides, as the Windows injector does).
type twoClients struct {
	*inject.Headless
	mu     sync.Mutex
	chosen uint32
}

func (g *twoClients) windows() []inject.GameWindow {
	return []inject.GameWindow{
		{HWND: 1, PID: 111, Class: "GxWindowClassD3d", Title: "World of Warcraft", Image: `C:\WoW\Wow.exe`, Visible: true},
		{HWND: 2, PID: 222, Class: "GxWindowClassD3d", Title: "World of Warcraft", Image: `D:\Other\Wow.exe`, Visible: true},
	}
}

func (g *twoClients) Clients(context.Context) ([]inject.GameWindow, error) { return g.windows(), nil }

func (g *twoClients) Choose(pid uint32) {
	g.mu.Lock()
	g.chosen = pid
	g.mu.Unlock()
}

func (g *twoClients) pick() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, err := inject.ChooseWindow(inject.GameWindows(g.windows(), "Wow.exe"), g.chosen)
	return err
}

func (g *twoClients) Find(ctx context.Context) (string, error) {
	if err := g.pick(); err != nil {
		return "", err
	}
	return g.Headless.Find(ctx)
}

func (g *twoClients) Send(ctx context.Context, strokes []inject.Stroke) error {
	if err := g.pick(); err != nil {
		return err
	}
	return g.Headless.Send(ctx, strokes)
}

func TestGame_SeveralClientsWaitForTheStreamersChoice(t *testing.T) {
	r := newRig(t)
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	inj := &twoClients{Headless: r.inj}
	r.start(func(o *Options) { o.Injector = inj })
	eventually(t, func() bool { return len(r.app.State().Clients) == 2 }, "both clients listed")
	st := r.app.State()
	assert.Equal(t, "error", st.WoW.Level)
	assert.Contains(t, st.WoW.Text, "several WoW clients")
	assert.Equal(t, uint32(111), st.Clients[0].PID)
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, r.game.count("/run MGM_RunWhoForSpin("), "nothing typed into either")

	require.NoError(t, r.app.ChooseGame(222))
	eventually(t, func() bool { return r.game.count("/run MGM_RunWhoForSpin(") == 1 }, "typed once chosen")
	assert.Empty(t, r.app.State().Clients)
	assert.Equal(t, "ok", r.app.State().WoW.Level)
}
