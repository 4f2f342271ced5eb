package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/fakeapi"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/tagsig"
)

// fakeGame plays the addon behind the keys (addon Command.lua): the self-test key is
// answered with a pong when echo is on; a command (the command key, then
// "`MGM`<id> <call>`") is run once per id — recorded as the "/run <call>" line it stands
// for, escapes decoded — and acknowledged, when echo is on. lose makes the next typings
// vanish (focus stolen, a loading screen).
type fakeGame struct {
	mu    sync.Mutex
	log   string
	lines []string
	echo  bool
	// items, when set, is the JSON list the game prints for MGM_RequestGiftItems.
	items string
	// onType, when set, sees every command run (before it is recorded).
	onType func(line string)
	// key signs what the game prints, like the paired addon (pkg/tagsig); noPair makes it
	// ignore MGM_Pair like an outdated addon.
	key    tagsig.Key
	noPair bool
	// lose: that many of the next sends (probes or commands) are lost; deaf: commands
	// are lost, the self-test key is answered (a box the addon cannot see took them).
	lose int
	deaf bool
	// focused: a text box of the streamer's has the focus: it eats the self-test key,
	// and the addon still takes commands out of it (addon Command.lua).
	focused bool
	session string
	probes  int
	typings int
	ran     map[string]bool
	// onScreen are the commands typed, as "<id> <call>", whether or not they reached the
	// addon: what a box that took them would show on stream.
	onScreen []string
}

// sign is what the paired addon prints for tag: the tag and its signature (unsigned
// while the game holds no key).
func (g *fakeGame) sign(tag string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.signLocked(tag)
}

func (g *fakeGame) signLocked(tag string) string {
	if !g.key.Valid() {
		return tag
	}
	return g.key.Sign(tag)
}

var (
	pingRe      = regexp.MustCompile(`^/run MGM_Ping\("([^"]+)"\)$`)
	pairTypedRe = regexp.MustCompile(`^/run MGM_Pair\("([^"]+)","([0-9a-f]{64})"\)$`)
	giftItemsRe = regexp.MustCompile(`^/run MGM_RequestGiftItems\("([^"]+)"\)$`)
	commandRe   = regexp.MustCompile("^`MGM`([A-Za-z0-9]+) (.*)`$")
	escapeRe    = regexp.MustCompile(`\\([0-9]{3})`)
)

// unescape turns the typed \ddd escapes back into bytes.
func unescape(s string) string {
	return escapeRe.ReplaceAllStringFunc(s, func(m string) string {
		var n int
		fmt.Sscanf(m[1:], "%d", &n)
		return string([]byte{byte(n)})
	})
}

func (g *fakeGame) PostStrokes(strokes []inject.Stroke) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(strokes) == 0 {
		return nil
	}
	if g.lose > 0 {
		g.lose--
		return nil
	}
	switch strokes[0].Key {
	case inject.KeyProbe:
		g.probes++
		if g.focused {
			return nil
		}
		if g.session == "" {
			g.session = "5e55"
		}
		if g.echo {
			appendLog(g.log, g.signLocked(fmt.Sprintf("[MGM_PONG:%s-%d]", g.session, g.probes)))
		}
		return nil
	case inject.KeyCommand:
	default:
		return fmt.Errorf("unexpected key %q", strokes[0].Key)
	}
	var b strings.Builder
	for _, s := range strokes[1:] {
		b.WriteRune(rune(s.Char))
	}
	m := commandRe.FindStringSubmatch(b.String())
	if m == nil {
		return fmt.Errorf("not a command: %q", b.String())
	}
	g.typings++
	g.onScreen = append(g.onScreen, m[1]+" "+unescape(m[2]))
	if !g.echo || g.deaf {
		return nil
	}
	if g.ran == nil {
		g.ran = map[string]bool{}
	}
	if !g.ran[m[1]] {
		g.ran[m[1]] = true
		if err := g.runLocked("/run " + unescape(m[2])); err != nil {
			return err
		}
	}
	appendLog(g.log, g.signLocked("[MGM_ACK:"+m[1]+"]"))
	return nil
}

func (g *fakeGame) runLocked(line string) error {
	if g.onType != nil {
		g.onType(line)
	}
	g.lines = append(g.lines, line)
	if m := pingRe.FindStringSubmatch(line); m != nil {
		appendLog(g.log, g.signLocked("[MGM_PONG:"+m[1]+"]"))
	}
	if m := giftItemsRe.FindStringSubmatch(line); m != nil && g.items != "" {
		appendLog(g.log, g.signLocked("[MGM_ITEMS:"+m[1]+"]"+g.items))
	}
	if m := pairTypedRe.FindStringSubmatch(line); m != nil && !g.noPair {
		k, pub, err := tagsig.Answer(m[1], m[2])
		if err != nil {
			return err
		}
		g.key = k
		appendLog(g.log, k.Sign(`[MGM_PAIR:`+m[1]+`]{"pub":"`+pub+`"}`))
	}
	return nil
}

func (g *fakeGame) probeCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.probes
}

func (g *fakeGame) typedCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.typings
}

func (g *fakeGame) typed() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.lines...)
}

func (g *fakeGame) count(prefix string) int {
	n := 0
	for _, l := range g.typed() {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func appendLog(path string, text string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	now := time.Now()
	fmt.Fprintf(f, "%d/%d %s  %s\n", int(now.Month()), now.Day(), now.Format("15:04:05.000"), text)
}

type rig struct {
	t      *testing.T
	api    *fakeapi.Server
	game   *fakeGame
	inj    *inject.Headless
	dir    string
	log    string
	app    *App
	cancel context.CancelFunc
	done   chan struct{}
}

func newRig(t *testing.T) *rig {
	dir := t.TempDir()
	r := &rig{t: t, api: fakeapi.New("k3y"), dir: dir, log: filepath.Join(dir, "WoW", "Logs", "WoWChatLog.txt")}
	t.Cleanup(r.api.Close)
	require.NoError(t, os.MkdirAll(filepath.Dir(r.log), 0o755))
	appendLog(r.log, "old session line [MGM_CONFIRM:00000000-0000-0000-0000-000000000000]")
	key, err := tagsig.NewKey([]byte("rig key: 32 bytes, not a secret!"))
	require.NoError(t, err)
	r.game = &fakeGame{log: r.log, echo: true, key: key}
	r.inj = inject.NewHeadless(r.game)
	return r
}

// emit writes a tag into the log as the paired addon prints it.
func (r *rig) emit(tag string) { appendLog(r.log, r.game.sign(tag)) }

func (r *rig) start(mods ...func(*Options)) {
	r.t.Helper()
	r.startWith(true, mods...)
}

// startWith starts the Desktop; with waitLog it returns once the log is followed.
func (r *rig) startWith(waitLog bool, mods ...func(*Options)) {
	r.t.Helper()
	gap := time.Duration(0)
	opts := Options{
		Dir:         filepath.Join(r.dir, "state"),
		Settings:    settings.Settings{APIBaseURL: r.api.URL, WoWDir: filepath.Join(r.dir, "WoW"), ProcessName: "Wow.exe", GiftsEnabled: true},
		APIKey:      "k3y",
		Injector:    r.inj,
		PollEvery:   30 * time.Millisecond,
		TailEvery:   10 * time.Millisecond,
		PingTimeout: 2 * time.Second,
		BackoffMin:  10 * time.Millisecond,
		BackoffMax:  50 * time.Millisecond,
		TypeGap:     &gap,
		ProbeEvery:  20 * time.Millisecond,
		AckTimeout:  time.Second,
		CommandTick: 10 * time.Millisecond,
		Logf:        r.t.Logf,
		BridgeKey:   r.game.key.Secret(),
		BridgeSelf:  "Mimiron",
	}
	for _, m := range mods {
		m(&opts)
	}
	a, err := New(opts)
	require.NoError(r.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r.app, r.cancel, r.done = a, cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		a.Run(ctx)
	}()
	r.t.Cleanup(r.stop)
	if waitLog {
		// Wait until the log is followed, so lines written next are new.
		require.Eventually(r.t, func() bool { return a.State().Log.Level == "ok" }, 5*time.Second, 5*time.Millisecond)
	}
}

func (r *rig) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

func TestBridge_FirstRunDoesNotReplayOldLog(t *testing.T) {
	r := newRig(t)
	r.start()
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, r.api.Count("PATCH /api/payouts/00000000-0000-0000-0000-000000000000/status"))
	recs, err := r.app.Journal().Recent(10)
	require.NoError(t, err)
	for _, rec := range recs {
		assert.Equal(t, tags.Pong, rec.Kind, "only the self-test's pongs since the start: %v", rec)
	}
}

func TestBridge_ConfirmSetsSentOnce(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Норинн", domain.PayoutInProgress)
	r.start()
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	appendLog(r.log, "To Mimiron: "+r.game.sign("[MGM_CONFIRM:"+p.ID+"]")) // the same tag again
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "payout Sent")
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, 1, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"))
}

func TestBridge_BackendDownThenBackAcrossDesktopRestart(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start()
	r.api.SetDown(true)
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	eventually(t, func() bool { return r.api.Count("PATCH /api/payouts/"+p.ID+"/status") >= 2 }, "retried while down")
	r.stop() // Desktop closed while the tag is undelivered

	r.api.SetDown(false)
	r.start()
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "delivered after restart")
	// The backend answers before the journal records it: wait for that, or a stop in
	// between rightly delivers the tag once more.
	eventually(t, func() bool {
		rec, ok, _ := r.app.Journal().Get("MGM_CONFIRM:" + p.ID)
		return ok && rec.State == journal.StateDone
	}, "journaled done")
	n := r.api.Count("PATCH /api/payouts/" + p.ID + "/status")
	r.stop()
	r.start() // and a third start replays nothing
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, n, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"))
}

func TestBridge_ConfirmAfterUnlockStillEndsSent(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutPending) // unlocked after the mail was armed
	r.start()
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
}

func TestBridge_ConfirmOfCancelledPayoutIsShownAsFailed(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutCancelled)
	r.start()
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	eventually(t, func() bool {
		rec, ok, _ := r.app.Journal().Get("MGM_CONFIRM:" + p.ID)
		return ok && rec.State == journal.StateFailed
	}, "failed permanently")
	assert.Equal(t, 1, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"))
}

func TestBridge_UnknownPayoutIsAPermanentFailure(t *testing.T) {
	r := newRig(t)
	r.start()
	r.emit("[MGM_CONFIRM:11111111-1111-1111-1111-111111111111]")
	eventually(t, func() bool {
		rec, ok, _ := r.app.Journal().Get("MGM_CONFIRM:11111111-1111-1111-1111-111111111111")
		return ok && rec.State == journal.StateFailed
	}, "failed")
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 1, r.api.Count("PATCH /api/payouts/11111111-1111-1111-1111-111111111111/status"), "no retry of a 404")
}

func TestBridge_AcceptUsesTheNameFromThePendingList(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Жёлтоглазка", domain.PayoutPending)
	r.start()
	appendLog(r.log, "Жёлтоглазка whispers: !twgold")
	r.emit("[MGM_ACCEPT:" + p.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.AcceptedAt != nil }, "accepted")
	eventually(t, func() bool {
		st := r.app.State()
		return len(st.Payouts) == 1 && st.Payouts[0].Accepted
	}, "window shows acceptance")
}

func TestBridge_GiftTagsAreSkippedWhenGiftsAreOff(t *testing.T) {
	r := newRig(t)
	r.start(func(o *Options) { o.Settings.GiftsEnabled = false })
	r.emit("[MGM_GIFT_SENT:22222222-2222-2222-2222-222222222222]")
	eventually(t, func() bool {
		rec, ok, _ := r.app.Journal().Get("MGM_GIFT_SENT:22222222-2222-2222-2222-222222222222")
		return ok && rec.State == journal.StateSkipped
	}, "skipped")
	assert.Zero(t, r.api.Count("PATCH /api/gift-requests/22222222-2222-2222-2222-222222222222"))
}

func TestBridge_GiftTagsOn404ArePermanentFailures(t *testing.T) {
	r := newRig(t)
	r.start()
	r.emit("[MGM_GIFT_ACCEPT:22222222-2222-2222-2222-222222222222]")
	eventually(t, func() bool {
		rec, ok, _ := r.app.Journal().Get("MGM_GIFT_ACCEPT:22222222-2222-2222-2222-222222222222")
		return ok && rec.State == journal.StateFailed
	}, "failed on 404")
}

func TestDriver_TypesWhoOncePerCycleAndRemembersAcrossRestart(t *testing.T) {
	r := newRig(t)
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	r.start()
	eventually(t, func() bool { return r.game.count(`/run MGM_RunWhoForSpin("cycle-1","Норинн")`) == 1 }, "typed")
	time.Sleep(100 * time.Millisecond)
	r.stop()
	r.start()
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 1, r.game.count(`/run MGM_RunWhoForSpin(`))
	// The addon's report goes to verify-candidate and the winner gets the consent whisper.
	r.emit(`[MGM_WHO]{"schemaVersion":1,"spinCycleId":"cycle-1","characterName":"Норинн","online":true,"capturedAt":"2026-01-01T00:00:00Z"}`)
	eventually(t, func() bool { return r.game.count(`/run NotifyWinnerWhisper(`) == 1 }, "consent whisper typed")
	assert.Equal(t, 1, r.api.Count("POST /api/roulette/verify-candidate"))
	r.stop()
	r.start()
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 1, r.game.count(`/run NotifyWinnerWhisper(`), "not whispered again after a restart")
}

func TestDriver_NothingTypedWhileTheGameIsMissing(t *testing.T) {
	r := newRig(t)
	r.inj.Attach(nil)
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	r.start()
	eventually(t, func() bool { return r.app.State().WoW.Level == "error" }, "WoW not found shown")
	r.inj.Attach(r.game)
	eventually(t, func() bool { return r.game.count(`/run MGM_RunWhoForSpin(`) == 1 }, "typed once the game is back")
}

func TestSync_RefusedWithoutTheGame(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutPending)
	r.inj.Attach(nil)
	r.start()
	_, err := r.app.Sync(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoGame)
	got, _ := r.api.Payout(p.ID)
	assert.Equal(t, domain.PayoutPending, got.Status)
}

func TestSync_MovesToInProgressAndTypesReceiveGoldByBytes(t *testing.T) {
	r := newRig(t)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, r.api.AddPayout("Жёлтоглазка", domain.PayoutPending).ID)
	}
	other := r.api.AddPayout("Arthas", domain.PayoutPending)
	r.start()
	msg, err := r.app.Sync(context.Background(), ids)
	require.NoError(t, err)
	assert.Contains(t, msg, "synced 5")
	var lines []string
	eventually(t, func() bool {
		lines = nil
		for _, l := range r.game.typed() {
			if strings.HasPrefix(l, "/run ReceiveGold(") {
				lines = append(lines, l)
			}
		}
		return len(lines) == 5
	}, "five ReceiveGold commands typed: counted as typed, a Cyrillic name of 11 letters is 88 characters")
	joined := strings.Join(lines, "")
	for _, id := range ids {
		got, _ := r.api.Payout(id)
		assert.Equal(t, domain.PayoutInProgress, got.Status)
		assert.Contains(t, joined, id+":Жёлтоглазка:10000000")
	}
	got, _ := r.api.Payout(other.ID)
	assert.Equal(t, domain.PayoutPending, got.Status, "not chosen")
}

func TestActions_MarkAndUnlock(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start()
	ctx := context.Background()
	require.NoError(t, r.app.SetStatus(ctx, p.ID, domain.PayoutPending)) // Unlock
	got, _ := r.api.Payout(p.ID)
	assert.Equal(t, domain.PayoutPending, got.Status)
	require.NoError(t, r.app.SetStatus(ctx, p.ID, domain.PayoutCancelled))
	assert.Error(t, r.app.SetStatus(ctx, p.ID, domain.PayoutSent), "terminal")
	assert.Error(t, r.app.SetStatus(ctx, p.ID, domain.PayoutExpired), "clients cannot expire")
}

func TestSelfTest_OKWhenThePongComesBack(t *testing.T) {
	r := newRig(t)
	r.start(func(o *Options) { o.NoStartPing = true })
	took, err := r.app.Ping(context.Background())
	require.NoError(t, err)
	assert.Less(t, took, 2*time.Second)
	st := r.app.State().Bridge
	assert.Equal(t, "ok", st.Level)
	assert.Regexp(t, `^log bridge OK \(\d+\.\d s\)$`, st.Text)
	assert.Equal(t, 1, r.game.probeCount(), "the self-test is the key alone")
	assert.Zero(t, r.game.typedCount(), "nothing typed")
}

func TestSelfTest_SaysWhatToDoWithoutAnEcho(t *testing.T) {
	r := newRig(t)
	r.game.echo = false
	r.start(func(o *Options) { o.PingTimeout = 200 * time.Millisecond })
	_, err := r.app.Ping(context.Background())
	require.ErrorIs(t, err, ErrNoEcho)
	st := r.app.State().Bridge
	assert.Equal(t, "error", st.Level)
	assert.Contains(t, st.Text, "/mgm emit whisper")
	assert.Contains(t, st.Text, "chat logging")
	assert.Contains(t, st.Text, "chat box", "a focused text box eats the key")
}

func TestSelfTest_ConcurrentSelfTestsEachGetTheirEcho(t *testing.T) {
	r := newRig(t)
	r.game.echo = false // the pong is written below, once both self-tests pressed the key
	r.start(func(o *Options) { o.PingTimeout = 3 * time.Second; o.NoStartPing = true })
	ctx := context.Background()
	waited := make(chan error, 1)
	go func() { _, err := r.app.Ping(ctx); waited <- err }()
	eventually(t, func() bool { return r.game.probeCount() == 1 }, "first key press")
	require.NoError(t, r.app.StartPing(ctx)) // the streamer presses Ping while one is running
	require.Equal(t, 2, r.game.probeCount())
	appendLog(r.game.log, r.game.sign("[MGM_PONG:5e55-2]"))
	require.NoError(t, <-waited, "the first self-test is answered too")
	eventually(t, func() bool { return r.app.State().Bridge.Level == "ok" }, "bridge OK")
}

func TestSelfTest_RunsAtStartOnceTheGameIsFound(t *testing.T) {
	r := newRig(t)
	r.start()
	eventually(t, func() bool { return r.app.State().Bridge.Level == "ok" }, "start self-test passed")
	assert.Equal(t, gameLive, r.app.State().Game)
	assert.Zero(t, r.game.typedCount(), "the self-test types nothing")
}

func TestLogPathChangeFollowsTheNewFile(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start()
	other := filepath.Join(r.dir, "other.txt")
	appendLog(other, r.game.sign("[MGM_CONFIRM:"+p.ID+"]")) // old content of another file is not replayed
	s := r.app.Settings()
	s.LogPath = other
	require.NoError(t, r.app.UpdateSettings(s, nil))
	eventually(t, func() bool { return strings.Contains(r.app.State().Log.Text, "other.txt") }, "following other")
	time.Sleep(50 * time.Millisecond)
	got, _ := r.api.Payout(p.ID)
	assert.Equal(t, domain.PayoutInProgress, got.Status)
	appendLog(other, r.game.sign("[MGM_CONFIRM:"+p.ID+"]"))
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
}
