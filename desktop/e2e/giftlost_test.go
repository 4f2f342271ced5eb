package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/loop"
	"github.com/mimiron/mgm/desktop/journal"
)

// The gift commands as the gold loop's (TestGoldLoop_FirstTypingOfEveryCommandIsLostAndTypedAgain):
// the first typing of the item list request, of the consent whisper and of the drop is
// lost — to a loading screen or to a text box that steals the focus — and each is typed
// again with the same id, run once: one item list, one consent whisper, the gift dropped.
func TestGiftLoop_FirstTypingOfEveryGiftCommandIsLostAndTypedAgain(t *testing.T) {
	t.Parallel()
	var lp *losingPoster
	w := newWorldWith(t, worldCfg{
		poster: func(k *loop.Keys) inject.Poster {
			lp = &losingPoster{Keys: k}
			return lp
		},
		desk: func(o *app.Options) { o.AckTimeout = 2 * time.Second },
	})
	g, pending := w.giftAwaitingConsent(40*time.Second, 30*time.Second)
	_, err := w.desk.App.FailGift(w.ctx, g.ID)
	require.NoError(t, err)
	w.eventually(30*time.Second, func() bool { return !pending() }, "MGM_CancelGift did not reach the addon")

	lp.mu.Lock()
	lost := append([]string(nil), lp.lost...)
	lp.mu.Unlock()
	var kinds []string
	for _, l := range lost {
		for _, k := range []string{"MGM_RequestGiftItems(", "MGM_RequestGiftConfirmation(", "MGM_CancelGift("} {
			if strings.Contains(l, k) {
				kinds = append(kinds, k)
			}
		}
	}
	assert.ElementsMatch(t, []string{"MGM_RequestGiftItems(", "MGM_RequestGiftConfirmation(", "MGM_CancelGift("}, kinds,
		"the first typing of each was lost")
	w.eventually(10*time.Second, func() bool {
		cs, err := w.desk.App.Journal().Commands(journal.CmdQueued, journal.CmdTyped)
		return err == nil && len(cs) == 0
	}, "every command acknowledged")
	cmds, err := w.desk.App.Journal().Commands(journal.CmdAcked)
	require.NoError(t, err)
	for _, c := range cmds {
		if strings.HasPrefix(c.Kind, "gift") {
			assert.GreaterOrEqual(t, c.Attempts, 2, "%s was typed again", c.Kind)
		}
	}
	failed, err := w.desk.App.Journal().Commands(journal.CmdFailed)
	require.NoError(t, err)
	assert.Empty(t, failed)
	whispers := 0
	for _, wh := range w.game.SentWhispers() {
		if wh.To == winner && strings.HasSuffix(wh.Text, "!twgift") {
			whispers++
		}
	}
	assert.Equal(t, 1, whispers, "the consent whisper is sent once")
	assert.Equal(t, 1, w.count("[MGM_ITEMS:"+g.ID+"]", w.game.TagLines()), "items listed once")
	assert.Empty(t, w.game.Errors(), "Lua errors in the addon")
}
