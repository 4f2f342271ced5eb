package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/wowclient"
)

func (w *world) gifts() []events.GiftRequest {
	gs, err := w.api.Gifts(w.ctx)
	if err != nil {
		return nil
	}
	return gs
}

// The !twgift loop (docs/product.md §8) end to end: a subscriber's chat message → the
// Desktop asks the game for giftable items → [MGM_ITEMS] → the streamer picks an item
// → select-item and the addon's consent whisper → the viewer's !twgift →
// [MGM_GIFT_ACCEPT] → confirm → the streamer sends the mail the addon prepared →
// [MGM_GIFT_SENT] → Completed; the item is mailed once, in the count the list showed
// (Frostweave Cloth ×32 from stacks of 20 and 12: both stacks go).
func TestGiftLoop_WholeLoop(t *testing.T) {
	w := newWorld(t)
	w.game.SetOnline(winner)
	for _, it := range []wowclient.Item{
		{ID: 33470, Name: "Frostweave Cloth", Quality: 1, Count: 20},
		{ID: 41511, Name: "Bolt of Imbued Frostweave", Quality: 2, Count: 2},
		{ID: 40752, Name: "Emblem of Heroism", Quality: 4, Count: 5, Soulbound: true},
		{ID: 33470, Name: "Frostweave Cloth", Quality: 1, Count: 12},
	} {
		_, _, err := w.game.AddBagItem(it)
		require.NoError(t, err)
	}
	require.NoError(t, w.back.Chat(w.ctx, "7001", "viewer7001", "!twgift "+winner))

	// The Desktop asks the game; the addon's list reaches the window and the backend.
	var g app.GiftView
	w.eventually(20*time.Second, func() bool {
		for _, v := range w.desk.App.State().Gifts {
			if v.Status == domain.GiftSelectingItem && len(v.Items) > 0 {
				g = v
				return true
			}
		}
		return false
	}, "no item list: chat → gift request → MGM_RequestGiftItems → [MGM_ITEMS] did not complete")
	assert.Equal(t, winner, g.CharacterName)
	assert.True(t, g.ItemsAsked)
	byID := map[int64]events.GiftItem{}
	for _, it := range g.Items {
		byID[it.ItemID] = it
	}
	assert.Equal(t, 32, byID[33470].Count, "stacks summed")
	assert.Contains(t, byID, int64(41511))
	assert.NotContains(t, byID, int64(40752), "soulbound items are not giftable")
	w.eventually(10*time.Second, func() bool {
		gs := w.gifts()
		return len(gs) == 1 && len(gs[0].OfferedItems) == len(g.Items)
	}, "[MGM_ITEMS] did not reach PATCH {items}")

	// The streamer picks the cloth, 32 from two stacks: select-item, then the consent whisper.
	msg, err := w.desk.App.SelectGiftItem(w.ctx, g.ID, 33470)
	require.NoError(t, err)
	assert.Contains(t, msg, "Frostweave Cloth")
	gs := w.gifts()
	require.Len(t, gs, 1)
	assert.Equal(t, domain.GiftWaitingConfirmation, gs[0].Status)
	assert.Equal(t, 32, gs[0].ItemCount)
	giftWhispers := func() int {
		n := 0
		for _, wh := range w.game.SentWhispers() {
			if wh.To == winner && strings.HasSuffix(wh.Text, "!twgift") {
				n++
			}
		}
		return n
	}
	w.eventually(5*time.Second, func() bool { return giftWhispers() == 1 }, "no gift consent whisper")
	for _, wh := range w.game.SentWhispers() {
		if wh.To == winner && strings.HasSuffix(wh.Text, "!twgift") {
			assert.Contains(t, wh.Text, "Frostweave Cloth ×32", "the viewer is told what they get")
		}
	}

	// The viewer consents.
	require.NoError(t, w.game.Whisper(winner, "!twgift"))
	w.eventually(10*time.Second, func() bool {
		gs := w.gifts()
		return len(gs) == 1 && gs[0].AcceptedAt != nil
	}, "[MGM_GIFT_ACCEPT] did not reach confirm")

	// At the mailbox: Prepare Mail, Send.
	require.NoError(t, w.game.OpenMailbox())
	require.NoError(t, w.game.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, w.game.PressSend())
	w.eventually(10*time.Second, func() bool { return w.count("[MGM_GIFT_SENT:"+g.ID+"]", w.game.TagLines()) >= 1 }, "gift mail not confirmed in game")
	w.eventually(10*time.Second, func() bool {
		rec, ok, _ := w.desk.App.Journal().Get("MGM_GIFT_SENT:" + g.ID)
		return ok && rec.State == journal.StateDone
	}, "[MGM_GIFT_SENT] not delivered")
	assert.Empty(t, w.gifts(), "the request left the open list")
	// Completed (a PATCH Completed again is a no-op only for a Completed request; Failed would be 409).
	require.NoError(t, w.api.GiftCompleted(w.ctx, g.ID))

	mails := w.game.SentMails()
	require.Len(t, mails, 1, "mailed once")
	assert.Equal(t, winner, mails[0].To)
	assert.Zero(t, mails[0].Copper)
	mailed := 0
	for _, it := range mails[0].Items {
		assert.Equal(t, 33470, it.ID, "only the cloth")
		mailed += it.Count
	}
	assert.Len(t, mails[0].Items, 2, "two stacks attached")
	assert.Equal(t, 32, mailed, "the mail carries the 32 the backend recorded")
	for _, b := range w.game.BagItems() {
		assert.NotEqual(t, 33470, b.Item.ID, "all the cloth left the bags")
	}
	assert.Equal(t, 1, w.count("[MGM_GIFT_SENT:"+g.ID+"]", w.game.TagLines()), "reported once")
	assert.Equal(t, 1, giftWhispers(), "asked once")
	assert.Equal(t, 1, w.count("[MGM_ITEMS:"+g.ID+"]", w.game.TagLines()), "items asked once")
	assert.Empty(t, w.game.Errors(), "Lua errors in the addon")
	assert.Empty(t, w.desk.App.State().GiftAlerts)
}

// Skip after the consent whisper: the Desktop fails the request and types
// MGM_CancelGift, so the viewer's late !twgift neither reports nor queues anything.
func TestGiftLoop_SkipAfterTheWhisperDropsTheGiftInTheAddon(t *testing.T) {
	w := newWorld(t)
	g, pending := w.giftAwaitingConsent(20*time.Second, 5*time.Second)

	msg, err := w.desk.App.FailGift(w.ctx, g.ID)
	require.NoError(t, err)
	assert.Contains(t, msg, "told to drop")
	w.eventually(5*time.Second, func() bool { return !pending() }, "MGM_CancelGift did not reach the addon")

	require.NoError(t, w.game.Whisper(winner, "!twgift"))
	time.Sleep(300 * time.Millisecond)
	assert.Zero(t, w.count("[MGM_GIFT_ACCEPT:", w.game.TagLines()), "a dropped gift is not accepted")
	q, err := w.game.Eval("#MGM_DB.queue")
	require.NoError(t, err)
	assert.EqualValues(t, 0, q, "nothing to mail")
	assert.Empty(t, w.game.Errors(), "Lua errors in the addon")
	assert.Empty(t, w.desk.App.State().GiftAlerts)
}

// giftAwaitingConsent stocks two stacks of Frostweave Cloth, has the winner ask for a gift
// in chat, picks the cloth from the item list the addon sends (within listWithin) and waits
// until the addon holds the gift for the viewer's !twgift (within whisperWithin). pending
// reports whether the addon still holds it.
func (w *world) giftAwaitingConsent(listWithin, whisperWithin time.Duration) (g app.GiftView, pending func() bool) {
	w.t.Helper()
	t := w.t
	w.game.SetOnline(winner)
	for _, n := range []int{20, 12} {
		_, _, err := w.game.AddBagItem(wowclient.Item{ID: 33470, Name: "Frostweave Cloth", Quality: 1, Count: n})
		require.NoError(t, err)
	}
	require.NoError(t, w.back.Chat(w.ctx, "7001", "viewer7001", "!twgift "+winner))
	w.eventually(listWithin, func() bool {
		for _, v := range w.desk.App.State().Gifts {
			if v.Status == domain.GiftSelectingItem && len(v.Items) > 0 {
				g = v
				return true
			}
		}
		return false
	}, "no item list")
	_, err := w.desk.App.SelectGiftItem(w.ctx, g.ID, 33470)
	require.NoError(t, err)
	pending = func() bool {
		v, err := w.game.Eval(`MGM_DB.gifts["` + g.ID + `"] ~= nil`)
		require.NoError(t, err)
		return v == true
	}
	w.eventually(whisperWithin, pending, "the addon waits for !twgift")
	return g, pending
}
