// Package e2e proves the whole gold loop: the real backend in one process, the
// headless WoW client running the real addon, the Desktop typing into it and reading
// its chat log, signed EventSub chat and the fake Helix (issue 6, item 2).
package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/api"
	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/loop"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/wowclient"
)

const (
	winner       = "Норинн"
	consentText  = "Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды - ответь на это сообщение одной фразой: !twgold"
	completeText = "Награда отправлена тебе на почту, проверяй ящик!"
	announcement = "Награда отправлена персонажу Норинн на почту, проверяй ящик!"
)

type world struct {
	t       *testing.T
	ctx     context.Context
	back    *loop.Backend
	game    *wowclient.Client
	gameDir string
	inj     *inject.Headless
	desk    *loop.Desktop
	api     *api.Client
}

func newWorld(t *testing.T) *world { return newWorldWith(t, worldCfg{}) }

// worldCfg changes the world of a variant: the game's options, the Desktop's options,
// and what happens in the game before the Desktop starts.
type worldCfg struct {
	game   []func(*wowclient.Options)
	desk   func(*app.Options)
	before func(*world)
	poster func(*loop.Keys) inject.Poster
	// spin is the backend's spin interval (2 s); slower worlds need longer, or the next
	// cycle draws the same candidate again before the first report is read.
	spin time.Duration
}

func newWorldWith(t *testing.T, cfg worldCfg) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if cfg.spin == 0 {
		cfg.spin = 2 * time.Second
	}
	back, err := loop.NewBackend(testenv.Postgres(t), t.TempDir(), cfg.spin, testenv.Logger(t))
	require.NoError(t, err)
	t.Cleanup(back.Close)
	require.NoError(t, back.Start(ctx))

	w := &world{t: t, ctx: ctx, back: back, gameDir: t.TempDir()}
	w.game, err = loop.StartGame(ctx, w.gameDir, cfg.game...)
	require.NoError(t, err)
	t.Cleanup(func() { w.game.Close() })
	if cfg.before != nil {
		cfg.before(w)
	}
	var poster inject.Poster = loop.NewKeys(w.game)
	if cfg.poster != nil {
		poster = cfg.poster(loop.NewKeys(w.game))
	}
	w.inj = inject.NewHeadless(poster)
	w.desk = loop.NewDesktop(t.TempDir(), back.URL(), back.Config.APIKey, w.game.LogPath(), w.inj, t.Logf)
	if cfg.desk != nil {
		cfg.desk(&w.desk.Options)
	}
	t.Cleanup(w.desk.Stop)
	require.NoError(t, w.desk.Start(ctx))
	// At start the Desktop runs the self-test and pairs with the addon (docs/product.md §9):
	// from then on every tag is signed.
	w.eventually(30*time.Second, func() bool { return w.desk.App.State().Pairing.Level == "ok" }, "the Desktop did not pair with the addon")
	w.api = api.New(func() api.Settings { return api.Settings{BaseURL: back.URL(), APIKey: back.Config.APIKey} })
	return w
}

func (w *world) eventually(d time.Duration, cond func() bool, msg string) {
	w.t.Helper()
	require.Eventually(w.t, cond, d, 20*time.Millisecond, msg)
}

func (w *world) pending() []events.Payout {
	ps, err := w.api.Pending(w.ctx)
	if err != nil {
		return nil
	}
	return ps
}

// waitQueued waits until the typed ReceiveGold reached the addon's mail queue (Sync
// only records the command; the Desktop types it and the addon acknowledges it).
func (w *world) waitQueued(n int) {
	w.t.Helper()
	w.eventually(20*time.Second, func() bool {
		v, err := w.game.Eval("#MGM_DB.queue")
		return err == nil && v == float64(n)
	}, "ReceiveGold did not reach the addon's mail queue")
}

func (w *world) count(prefix string, lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, prefix) {
			n++
		}
	}
	return n
}

func (w *world) consentWhispers() int {
	n := 0
	for _, wh := range w.game.SentWhispers() {
		if wh.To == winner && wh.Text == consentText {
			n++
		}
	}
	return n
}

// untilPending: enroll, wait for the draw, the Desktop's /who, the addon's report and
// the payout; then the consent whisper the Desktop types.
func (w *world) untilPending() events.Payout {
	w.t.Helper()
	w.game.SetOnline(winner, "Someoneelse")
	require.NoError(w.t, w.back.Chat(w.ctx, "7001", "viewer7001", "!twgold "+winner))
	var p events.Payout
	w.eventually(30*time.Second, func() bool {
		ps := w.pending()
		if len(ps) == 1 {
			p = ps[0]
			return true
		}
		return false
	}, "no Pending payout: the draw → /who → [MGM_WHO] → verify-candidate chain did not complete")
	assert.Equal(w.t, domain.PayoutPending, p.Status)
	assert.True(w.t, strings.EqualFold(p.CharacterName, winner))
	whoTags := w.count("[MGM_WHO]", w.game.TagLines())
	assert.GreaterOrEqual(w.t, whoTags, 1)
	w.eventually(10*time.Second, func() bool { return w.consentWhispers() == 1 }, "consent whisper not sent")
	return p
}

func (w *world) accept(p events.Payout) {
	w.t.Helper()
	require.NoError(w.t, w.game.Whisper(winner, "!twgold"))
	w.eventually(10*time.Second, func() bool {
		ps := w.pending()
		return len(ps) == 1 && ps[0].ID == p.ID && ps[0].AcceptedAt != nil
	}, "[MGM_ACCEPT] did not reach confirm-acceptance")
}

func (w *world) syncAndSend(p events.Payout) {
	w.t.Helper()
	msg, err := w.desk.App.Sync(w.ctx, nil)
	require.NoError(w.t, err)
	assert.Contains(w.t, msg, "synced 1")
	w.waitQueued(1)
	ps := w.pending()
	require.Len(w.t, ps, 1)
	assert.Equal(w.t, domain.PayoutInProgress, ps[0].Status)
	require.NoError(w.t, w.game.OpenMailbox())
	require.NoError(w.t, w.game.ClickButton("MGM_PrepareMailButton"))
	require.NoError(w.t, w.game.PressSend())
	w.eventually(10*time.Second, func() bool { return w.count("[MGM_CONFIRM:"+p.ID+"]", w.game.TagLines()) >= 1 }, "mail not confirmed in game")
}

func (w *world) assertSentAndAnnouncedOnce(p events.Payout) {
	w.t.Helper()
	w.eventually(15*time.Second, func() bool { return len(w.pending()) == 0 }, "payout never left the active list")
	w.eventually(15*time.Second, func() bool { return len(w.back.Helix.Posts()) >= 1 }, "no announcement")
	time.Sleep(500 * time.Millisecond) // a second post would show up by now
	posts := w.back.Helix.Posts()
	require.Len(w.t, posts, 1, "announced exactly once")
	assert.Equal(w.t, announcement, posts[0].Message)
	mails := w.game.SentMails()
	require.Len(w.t, mails, 1)
	assert.Equal(w.t, winner, mails[0].To)
	assert.EqualValues(w.t, 10_000_000, mails[0].Copper)
	// The completion whisper waits its turn in the addon's whisper queue (one message
	// per 1.05 s, under the server's flood rule), so it may follow the mail by a second.
	w.eventually(5*time.Second, func() bool {
		for _, wh := range w.game.SentWhispers() {
			if wh.To == winner && wh.Text == completeText {
				return true
			}
		}
		return false
	}, "completion whisper")
	rec, ok, err := w.desk.App.Journal().Get("MGM_CONFIRM:" + p.ID)
	require.NoError(w.t, err)
	require.True(w.t, ok)
	assert.Equal(w.t, journal.StateDone, rec.State)
	assert.Empty(w.t, w.game.Errors(), "Lua errors in the addon")
}

func TestGoldLoop_WholeLoop(t *testing.T) {
	w := newWorld(t)
	took, err := w.desk.App.Ping(w.ctx)
	require.NoError(t, err, "bridge self-test")
	assert.Less(t, took, 5*time.Second)

	p := w.untilPending()
	w.accept(p)
	w.syncAndSend(p)
	w.assertSentAndAnnouncedOnce(p)
	assert.Equal(t, 1, w.consentWhispers())
}

func TestGoldLoop_WinnerOfflineGetsNoPayout(t *testing.T) {
	w := newWorld(t)
	w.game.SetOnline("Someoneelse") // the candidate is not online
	require.NoError(t, w.back.Chat(w.ctx, "7002", "viewer7002", "!twgold "+winner))
	w.eventually(30*time.Second, func() bool {
		for _, r := range mustRecent(t, w) {
			if r.Kind == "MGM_WHO" && r.State == journal.StateDone && strings.Contains(r.Note, "offline") {
				return true
			}
		}
		return false
	}, "the offline report was not delivered")
	time.Sleep(time.Second)
	assert.Empty(t, w.pending(), "no payout for an offline winner")
	assert.Zero(t, w.consentWhispers())
}

func mustRecent(t *testing.T, w *world) []journal.Record {
	rs, err := w.desk.App.Journal().Recent(50)
	require.NoError(t, err)
	return rs
}

func TestGoldLoop_BackendDownWhileConfirmIsLogged(t *testing.T) {
	w := newWorld(t)
	p := w.untilPending()
	w.accept(p)

	msg, err := w.desk.App.Sync(w.ctx, nil)
	require.NoError(t, err)
	require.Contains(t, msg, "synced 1")
	w.waitQueued(1)
	w.back.Stop()
	require.NoError(t, w.game.OpenMailbox())
	require.NoError(t, w.game.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, w.game.PressSend())
	w.eventually(10*time.Second, func() bool {
		rec, ok, _ := w.desk.App.Journal().Get("MGM_CONFIRM:" + p.ID)
		return ok && rec.State == journal.StatePending && rec.Attempts >= 2
	}, "the confirm tag was not journaled and retried while the backend was down")

	require.NoError(t, w.back.Start(w.ctx))
	w.assertSentAndAnnouncedOnce(p)
}

func TestGoldLoop_DesktopRestartedMidFlow(t *testing.T) {
	w := newWorld(t)
	p := w.untilPending()
	w.desk.Stop()
	// The winner answers while the Desktop is closed: the tag waits in the log.
	require.NoError(t, w.game.Whisper(winner, "!twgold"))
	w.eventually(5*time.Second, func() bool { return w.count("[MGM_ACCEPT:"+p.ID+"]", w.game.TagLines()) >= 1 }, "addon did not accept")
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, w.desk.Start(w.ctx))
	w.eventually(10*time.Second, func() bool {
		ps := w.pending()
		return len(ps) == 1 && ps[0].AcceptedAt != nil
	}, "acceptance seen while the Desktop was down was lost")

	w.syncAndSend(p)
	w.assertSentAndAnnouncedOnce(p)
	assert.Equal(t, 1, w.consentWhispers(), "no replay of the consent whisper after the restart")
	whos := 0
	for _, l := range w.game.TagLines() {
		if strings.Contains(l, "[MGM_WHO]") {
			whos++
		}
	}
	assert.Equal(t, 1, whos, "no second /who for the same cycle after the restart")
}

func TestGoldLoop_LogRotatedMidFlow(t *testing.T) {
	w := newWorld(t)
	p := w.untilPending()
	// WoW is restarted with the old chat log archived: a new WoWChatLog.txt.
	require.NoError(t, w.game.Logout())
	require.NoError(t, w.game.Close())
	log := w.game.LogPath()
	require.NoError(t, os.Rename(log, filepath.Join(filepath.Dir(log), "WoWChatLog-archived.txt")))
	w.inj.Attach(nil)
	game, err := loop.StartGame(w.ctx, w.gameDir)
	require.NoError(t, err)
	t.Cleanup(func() { game.Close() })
	game.SetOnline(winner)
	w.game = game
	w.inj.Attach(loop.NewKeys(game))

	w.accept(p) // the pending acceptance survived in SavedVariables; the tag is in the new log
	w.syncAndSend(p)
	w.assertSentAndAnnouncedOnce(p)
	resp, err := http.Get(w.back.URL() + "/api/version")
	require.NoError(t, err)
	resp.Body.Close()
}

// The streamer unlocks a payout (InProgress → Pending) after its mail was armed, and the
// mail goes out anyway: the gold was sent, so the payout still ends Sent, once.
func TestGoldLoop_MailSentAfterUnlockStillEndsSent(t *testing.T) {
	w := newWorld(t)
	p := w.untilPending()
	w.accept(p)
	msg, err := w.desk.App.Sync(w.ctx, nil)
	require.NoError(t, err)
	require.Contains(t, msg, "synced 1")
	w.waitQueued(1)
	require.NoError(t, w.game.OpenMailbox())
	require.NoError(t, w.game.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, w.desk.App.SetStatus(w.ctx, p.ID, domain.PayoutPending)) // Unlock
	require.NoError(t, w.game.PressSend())
	w.assertSentAndAnnouncedOnce(p)
}
