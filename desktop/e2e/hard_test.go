package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/loop"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/wowclient"
)

// libWhoDir is the LibWho-style test addon of pkg/wowclient.
func libWhoDir(t *testing.T) string {
	d, err := loop.AddonDir()
	require.NoError(t, err)
	return filepath.Join(d, "..", "..", "pkg", "wowclient", "testdata", "addons", "LibWhoLike")
}

// The whole gold loop in a world as strict as we can make it (issue 9): a Russian or an
// English client on a Windows whose ANSI code page is 1252 (Cyrillic typed as WM_CHAR
// would arrive as '?'), a chat log written in 4 KiB chunks in a busy city, a LibWho-style
// addon sending its own /who queries, and the mailbox open on the Send tab with the
// streamer's half-typed recipient in it while /who, the consent whisper and ReceiveGold
// are typed, and a half-typed chat line too. Nothing the streamer typed is lost or sent.
func TestGoldLoop_HardWorld(t *testing.T) {
	t.Parallel()
	for _, locale := range []string{"enUS", "ruRU"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			w := newWorldWith(t, worldCfg{
				game: []func(*wowclient.Options){func(o *wowclient.Options) {
					o.Locale, o.CodePage, o.LogBuffer = locale, 1252, 4096
					o.ExtraAddons = []string{libWhoDir(t)}
				}},
				before: func(w *world) {
					w.game.AmbientChat(50*time.Millisecond, 120)
				},
				spin: 10 * time.Second,
			})
			opened := w.game.Now()
			require.NoError(t, w.game.OpenMailbox())
			require.NoError(t, w.game.ClickButton("MailFrameTab2"))
			require.NoError(t, w.game.Post(wowclient.Chars("Arth")...)) // the streamer types a recipient

			p := w.untilPending()
			ours := 0
			for _, q := range w.game.WhoQueries() {
				if strings.Contains(q.Filter, winner) && !q.At.Before(opened) {
					ours++
				}
			}
			assert.Positive(t, ours, "our /who was typed while the mailbox was open")
			libWho, err := w.game.Eval("#LIBWHOLIKE_SENT")
			require.NoError(t, err)
			assert.Greater(t, libWho, float64(0), "the LibWho-style addon sent its own queries meanwhile")
			assert.Equal(t, "Arth", w.game.Text("SendMailNameEditBox"), "the streamer's recipient is untouched")
			assert.Equal(t, "SendMailNameEditBox", w.game.FocusedEditBox(), "and the focus is theirs again")
			w.accept(p)

			require.NoError(t, w.game.OpenChatWith("brb 2 min"))
			msg, err := w.desk.App.Sync(w.ctx, nil)
			require.NoError(t, err)
			assert.Contains(t, msg, "synced 1")
			w.waitQueued(1)
			shown, err := w.game.Eval("MailFrame:IsShown() and 1 or 0")
			require.NoError(t, err)
			assert.Equal(t, float64(1), shown, "ReceiveGold was typed while the mailbox was open")
			w.eventually(5*time.Second, func() bool {
				text, shown := w.game.ChatEditText()
				return shown && text == "brb 2 min" && w.game.FocusedEditBox() == "ChatFrame1EditBox"
			}, "the half-typed chat line survived the typed ReceiveGold")
			require.NoError(t, w.game.Post(wowclient.Keys("ESCAPE")...)) // the streamer gives it up

			require.NoError(t, w.game.ClickButton("MGM_PrepareMailButton"))
			require.NoError(t, w.game.PressSend())
			w.eventually(20*time.Second, func() bool { return w.count("[MGM_CONFIRM:"+p.ID+"]", w.game.TagLines()) >= 1 }, "mail not confirmed in game")
			w.assertSentAndAnnouncedOnce(p)
			for _, l := range w.game.ChatLines() {
				assert.NotContains(t, l, "says: Arth", "nothing the streamer typed was sent")
				assert.NotContains(t, l, "says: brb", "nothing the streamer typed was sent")
			}
			assert.Zero(t, w.game.DroppedMessages(), "never muted")
		})
	}
}

// losingPoster loses the first typing of every command: odd ones to a loading screen,
// even ones to an edit box that takes the focus in the same instant and that the addon
// has never seen (the streamer then presses Escape). The Desktop must notice the missing
// acknowledgement and type each command again.
type losingPoster struct {
	*loop.Keys
	mu   sync.Mutex
	seen map[string]bool
	n    int
	lost []string
}

func (l *losingPoster) PostStrokes(strokes []inject.Stroke) error {
	if len(strokes) == 0 || strokes[0].Key != inject.KeyCommand {
		return l.Keys.PostStrokes(strokes)
	}
	var b strings.Builder
	for _, s := range strokes[1:] {
		b.WriteRune(rune(s.Char))
	}
	text := b.String()
	l.mu.Lock()
	first := !l.seen[text]
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[text] = true
	l.n++
	n := l.n
	l.mu.Unlock()
	if !first {
		return l.Keys.PostStrokes(strokes)
	}
	l.mu.Lock()
	l.lost = append(l.lost, text)
	l.mu.Unlock()
	if n%2 == 1 {
		l.LoadingScreen(1500 * time.Millisecond)
		return l.Keys.PostStrokes(strokes)
	}
	box := fmt.Sprintf("StolenBox%d", n)
	if err := l.Run(fmt.Sprintf(`local b = CreateFrame("EditBox", %q, UIParent) b:SetAutoFocus(false) b:SetFocus()`, box)); err != nil {
		return err
	}
	if err := l.Keys.PostStrokes(strokes); err != nil {
		return err
	}
	return l.Run(box + ":ClearFocus()")
}

func TestGoldLoop_FirstTypingOfEveryCommandIsLostAndTypedAgain(t *testing.T) {
	t.Parallel()
	var lp *losingPoster
	w := newWorldWith(t, worldCfg{
		poster: func(k *loop.Keys) inject.Poster {
			lp = &losingPoster{Keys: k}
			return lp
		},
		desk: func(o *app.Options) { o.AckTimeout = 2 * time.Second },
		spin: 10 * time.Second,
	})
	p := w.untilPending()
	w.accept(p)
	msg, err := w.desk.App.Sync(w.ctx, nil)
	require.NoError(t, err)
	require.Contains(t, msg, "synced 1")
	w.waitQueued(1)
	require.NoError(t, w.game.OpenMailbox())
	require.NoError(t, w.game.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, w.game.PressSend())
	w.assertSentAndAnnouncedOnce(p)

	lp.mu.Lock()
	lost := append([]string(nil), lp.lost...)
	lp.mu.Unlock()
	var kinds []string
	for _, l := range lost {
		for _, k := range []string{"MGM_Pair(", "MGM_RunWhoForSpin(", "NotifyWinnerWhisper(", "ReceiveGold("} {
			if strings.Contains(l, k) {
				kinds = append(kinds, k)
			}
		}
	}
	assert.Subset(t, kinds, []string{"MGM_RunWhoForSpin(", "NotifyWinnerWhisper(", "ReceiveGold("}, "the first typing of each was lost")
	cmds, err := w.desk.App.Journal().Commands(journal.CmdAcked)
	require.NoError(t, err)
	for _, c := range cmds {
		assert.GreaterOrEqual(t, c.Attempts, 2, "%s was typed again", c.Kind)
	}
	failed, err := w.desk.App.Journal().Commands(journal.CmdFailed)
	require.NoError(t, err)
	assert.Empty(t, failed)
	assert.Equal(t, 1, w.consentWhispers(), "the winner is whispered once")
	whos := 0
	for _, q := range w.game.WhoQueries() {
		if strings.Contains(q.Filter, winner) {
			whos++
		}
	}
	assert.Equal(t, 1, w.count("[MGM_WHO]", w.game.TagLines()), "one report for the cycle")
	assert.Positive(t, whos)
	assert.Empty(t, w.game.Errors(), "Lua errors in the addon")
}

// A gift list long enough to trip the chat flood rule, with tags sent as whispers to
// oneself: the addon paces them, every part arrives, the streamer is never muted. The
// world is the hard one: a chat log written in 4 KiB chunks in a busy city and a
// LibWho-style addon loaded.
func TestGiftLoop_LongListInWhisperModeUnderTheFloodRule(t *testing.T) {
	t.Parallel()
	for _, locale := range []string{"enUS", "ruRU"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			giftFloodLoop(t, locale)
		})
	}
}

func giftFloodLoop(t *testing.T, locale string) {
	w := newWorldWith(t, worldCfg{
		game: []func(*wowclient.Options){func(o *wowclient.Options) {
			o.Locale, o.LogBuffer = locale, 4096
			o.ExtraAddons = []string{libWhoDir(t)}
		}},
		before: func(w *world) {
			w.game.AmbientChat(50*time.Millisecond, 120)
			require.NoError(t, w.game.Type("/mgm emit whisper"))
		},
		desk: func(o *app.Options) { o.AckTimeout = 30 * time.Second },
	})
	w.game.SetOnline(winner)
	for i := 0; i < 24; i++ { // two a line: 12 whispers, more than the flood rule allows in a burst
		_, _, err := w.game.AddBagItem(wowclient.Item{ID: 20000 + i, Name: fmt.Sprintf("Рунический свиток номер %d", i), Quality: 2, Count: 1})
		require.NoError(t, err)
	}
	require.NoError(t, w.back.Chat(w.ctx, "7001", "viewer7001", "!twgift "+winner))
	var g app.GiftView
	w.eventually(60*time.Second, func() bool {
		for _, v := range w.desk.App.State().Gifts {
			if v.Status == domain.GiftSelectingItem && len(v.Items) == 24 {
				g = v
				return true
			}
		}
		return false
	}, "the whole list (all its parts) did not arrive")
	parts := 0
	for _, wh := range w.game.SentWhispers() {
		if strings.HasPrefix(wh.Text, "[MGM_ITEMS:"+g.ID+":") {
			parts++
		}
	}
	assert.Greater(t, parts, 10, "more whispers than the flood rule allows in a burst")
	assert.Zero(t, w.game.DroppedMessages(), "nothing the server refused")
	assert.False(t, w.game.Muted())
	_, err := w.desk.App.SelectGiftItem(w.ctx, g.ID, 20007)
	require.NoError(t, err)
	w.eventually(30*time.Second, func() bool {
		for _, wh := range w.game.SentWhispers() {
			if wh.To == winner && strings.HasSuffix(wh.Text, "!twgift") {
				return true
			}
		}
		return false
	}, "no gift consent whisper")
	assert.Empty(t, w.game.Errors(), "Lua errors in the addon")
}
