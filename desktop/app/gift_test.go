package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
)

const bagItems = `[{"itemId":33470,"name":"Frostweave Cloth","count":32,"quality":1},{"itemId":41511,"name":"Bolt of Imbued Frostweave","count":2,"quality":2}]`

func itemsCall(id string) string { return `/run MGM_RequestGiftItems("` + id + `")` }

func (r *rig) activeGift() (GiftView, bool) {
	for _, g := range r.app.State().Gifts {
		if g.Status != domain.GiftPending {
			return g, true
		}
	}
	return GiftView{}, false
}

func TestGift_ItemsAskedOnceAndNotAgainAfterRestart(t *testing.T) {
	r := newRig(t)
	g := r.api.AddGift("Норинн", "viewer7001")
	r.start()
	eventually(t, func() bool { return r.game.count(itemsCall(g.ID)) == 1 }, "MGM_RequestGiftItems typed")
	time.Sleep(100 * time.Millisecond) // several polls
	assert.Equal(t, 1, r.game.count(itemsCall(g.ID)))
	r.stop()
	r.start()
	time.Sleep(150 * time.Millisecond)
	assert.Equal(t, 1, r.game.count("/run MGM_RequestGiftItems("), "not asked again after a restart")
	v, ok := r.activeGift()
	require.True(t, ok)
	assert.True(t, v.ItemsAsked)
	assert.Equal(t, 1, v.Position)
}

func TestGift_PickingAnItemSelectsThenTypesTheConsentWhisper(t *testing.T) {
	r := newRig(t)
	r.game.items = bagItems
	g := r.api.AddGift("Норинн", "viewer7001")
	pending := r.api.AddGift("Thrall", "viewer7002")
	consent := `/run MGM_RequestGiftConfirmation("` + g.ID + `","Норинн",41511,2)` // the listed count
	statusWhenTyped := ""
	r.game.onType = func(line string) {
		if line == consent {
			got, _ := r.api.Gift(g.ID)
			statusWhenTyped = got.Status
		}
	}
	r.start()

	// The addon's list reaches the backend and the window.
	eventually(t, func() bool { got, _ := r.api.Gift(g.ID); return len(got.OfferedItems) == 2 }, "PATCH {items}")
	eventually(t, func() bool { v, _ := r.activeGift(); return len(v.Items) == 2 }, "items shown")
	st := r.app.State()
	require.Len(t, st.Gifts, 2)
	assert.Equal(t, pending.ID, st.Gifts[1].ID)
	assert.Equal(t, 2, st.Gifts[1].Position)
	assert.Equal(t, 1, r.game.count("/run MGM_RequestGiftItems("), "only the served request is asked")

	msg, err := r.app.SelectGiftItem(context.Background(), g.ID, 41511)
	require.NoError(t, err)
	assert.Contains(t, msg, "Bolt of Imbued Frostweave")
	bodies := r.api.Bodies("POST /api/gift-requests/" + g.ID + "/select-item")
	require.Len(t, bodies, 1)
	assert.JSONEq(t, `{"itemId":41511,"itemName":"Bolt of Imbued Frostweave","count":2}`, bodies[0])
	eventually(t, func() bool { return r.game.count(consent) == 1 }, "consent typed")
	assert.Equal(t, domain.GiftWaitingConfirmation, statusWhenTyped, "typed after select-item went through")

	// Picking again (a double click) neither selects another item nor whispers twice.
	_, err = r.app.SelectGiftItem(context.Background(), g.ID, 41511)
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 1, r.game.count(consent))

	// The recipient consents, the mail goes out.
	r.emit("[MGM_GIFT_ACCEPT:" + g.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Gift(g.ID); return got.AcceptedAt != nil }, "confirm")
	r.emit("[MGM_GIFT_SENT:" + g.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Gift(g.ID); return got.Status == domain.GiftCompleted }, "Completed")
	// The next viewer is served: their items are asked for.
	eventually(t, func() bool { return r.game.count(itemsCall(pending.ID)) == 1 }, "next request served")
	assert.Equal(t, 1, r.game.count(consent))
}

func TestGift_ConsentIsTypedByThePollerWhenTheSelectWentThroughButTheTypingDidNot(t *testing.T) {
	r := newRig(t)
	g := r.api.AddGift("Норинн", "viewer7001")
	// Selected (say the Desktop stopped right after select-item), nothing typed yet.
	r.api.SetGift(g.ID, func(x *events.GiftRequest) {
		id := int64(33470)
		dl := time.Now().Add(5 * time.Minute)
		x.Status, x.ItemID, x.ItemName, x.ItemCount, x.DeadlineAt = domain.GiftWaitingConfirmation, &id, "Frostweave Cloth", 32, &dl
	})
	r.start()
	consent := `/run MGM_RequestGiftConfirmation("` + g.ID + `","Норинн",33470,32)`
	eventually(t, func() bool { return r.game.count(consent) == 1 }, "consent typed by the poller")
	r.stop()
	r.start()
	time.Sleep(150 * time.Millisecond)
	assert.Equal(t, 1, r.game.count(consent), "not whispered again after a restart")
	assert.Zero(t, r.game.count("/run MGM_RequestGiftItems("), "the item is chosen already")
}

func TestGift_SkipFailsTheRequestAndServesTheNext(t *testing.T) {
	r := newRig(t)
	g := r.api.AddGift("Норинн", "viewer7001")
	next := r.api.AddGift("Thrall", "viewer7002")
	r.start()
	eventually(t, func() bool { return r.game.count(itemsCall(g.ID)) == 1 }, "asked")
	_, err := r.app.FailGift(context.Background(), g.ID)
	require.NoError(t, err)
	got, _ := r.api.Gift(g.ID)
	assert.Equal(t, domain.GiftFailed, got.Status)
	assert.Equal(t, "streamer", got.Reason)
	assert.Equal(t, []string{`{"reason":"streamer","status":"Failed"}`}, r.api.Bodies("PATCH /api/gift-requests/"+g.ID))
	eventually(t, func() bool { return r.game.count(itemsCall(next.ID)) == 1 }, "next served")
	eventually(t, func() bool { st := r.app.State(); return len(st.Gifts) == 1 && st.Gifts[0].ID == next.ID }, "window")

	// A request that completed meanwhile cannot be skipped; the streamer is told.
	r.api.SetGift(next.ID, func(x *events.GiftRequest) { x.Status = domain.GiftCompleted })
	_, err = r.app.FailGift(context.Background(), next.ID)
	assert.ErrorContains(t, err, "already Completed")
}

func TestGift_ConsentForARequestThatAlreadyFailedIsShownAsDoNotSend(t *testing.T) {
	r := newRig(t)
	r.game.items = bagItems
	g := r.api.AddGift("Норинн", "viewer7001")
	r.start()
	eventually(t, func() bool { v, _ := r.activeGift(); return len(v.Items) == 2 }, "items shown")
	_, err := r.app.SelectGiftItem(context.Background(), g.ID, 33470)
	require.NoError(t, err)
	// The 5 minutes run out; then the recipient answers.
	r.api.SetGift(g.ID, func(x *events.GiftRequest) {
		x.Status, x.Reason = domain.GiftFailed, domain.GiftReasonConfirmationTimeout
	})
	r.emit("[MGM_GIFT_ACCEPT:" + g.ID + "]")
	key := "MGM_GIFT_ACCEPT:" + g.ID
	eventually(t, func() bool {
		rec, ok, _ := r.app.Journal().Get(key)
		return ok && rec.State == journal.StateFailed
	}, "a permanent failure")
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, 1, r.api.Count("POST /api/gift-requests/"+g.ID+"/confirm"), "not retried")
	// The addon queued the gift on !twgift: it is told to drop it, once.
	eventually(t, func() bool { return r.game.count(cancelCall(g.ID)) == 1 }, "MGM_CancelGift typed")
	eventually(t, func() bool { a := r.app.State().GiftAlerts; return len(a) == 1 && a[0].Dropped }, "alert says dropped")
	alerts := r.app.State().GiftAlerts
	require.Len(t, alerts, 1)
	assert.Equal(t, "Норинн", alerts[0].Name)
	assert.Contains(t, alerts[0].Text, "DO NOT SEND", "the alert stays")
	assert.Contains(t, alerts[0].Text, "confirmation_timeout")
	assert.Contains(t, alerts[0].Text, "the addon was told to drop it")
	time.Sleep(100 * time.Millisecond) // several polls
	assert.Equal(t, 1, r.game.count(cancelCall(g.ID)))

	require.NoError(t, r.app.DismissGiftAlert(key))
	assert.Empty(t, r.app.State().GiftAlerts)
	r.stop()
	r.start()
	assert.Empty(t, r.app.State().GiftAlerts, "dismissed for good")
}

func cancelCall(id string) string { return `/run MGM_CancelGift("` + id + `")` }

func TestGift_SkipTellsTheAddonToDropTheGiftOnce(t *testing.T) {
	r := newRig(t)
	r.game.items = bagItems
	g := r.api.AddGift("Норинн", "viewer7001")
	r.start()
	eventually(t, func() bool { v, _ := r.activeGift(); return len(v.Items) == 2 }, "items shown")
	_, err := r.app.SelectGiftItem(context.Background(), g.ID, 33470)
	require.NoError(t, err)
	eventually(t, func() bool {
		return r.game.count(`/run MGM_RequestGiftConfirmation("`+g.ID+`","Норинн",33470,32)`) == 1
	}, "consent typed")

	msg, err := r.app.FailGift(context.Background(), g.ID)
	require.NoError(t, err)
	assert.Contains(t, msg, "the addon was told to drop the gift")
	eventually(t, func() bool {
		typed := r.game.typed()
		return len(typed) > 0 && typed[len(typed)-1] == cancelCall(g.ID)
	}, "typed right after the PATCH")
	bodies := r.api.Bodies("PATCH /api/gift-requests/" + g.ID)
	assert.Contains(t, bodies, `{"reason":"streamer","status":"Failed"}`)
	time.Sleep(100 * time.Millisecond)
	r.stop()
	r.start()
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 1, r.game.count(cancelCall(g.ID)), "once, across polls and restarts")

	// Skipping a request that already failed (it timed out meanwhile; the PATCH is a
	// no-op) drops it in the addon too.
	g2 := r.api.AddGift("Thrall", "viewer7002")
	r.api.SetGift(g2.ID, func(x *events.GiftRequest) { x.Status, x.Reason = domain.GiftFailed, domain.GiftReasonSelectionTimeout })
	_, err = r.app.FailGift(context.Background(), g2.ID)
	require.NoError(t, err)
	eventually(t, func() bool { return r.game.count(cancelCall(g2.ID)) == 1 }, "dropped in the addon")
}

func TestGift_SkipWithoutTheGameDropsTheGiftOnceTheGameIsBack(t *testing.T) {
	r := newRig(t)
	g := r.api.AddGift("Норинн", "viewer7001")
	r.start()
	eventually(t, func() bool { return r.game.count(itemsCall(g.ID)) == 1 }, "asked")
	r.inj.Attach(nil)
	msg, err := r.app.FailGift(context.Background(), g.ID)
	require.NoError(t, err, "the request is skipped anyway")
	assert.Contains(t, msg, "as soon as WoW is found")
	got, _ := r.api.Gift(g.ID)
	assert.Equal(t, domain.GiftFailed, got.Status)
	assert.Zero(t, r.game.count(cancelCall(g.ID)))
	r.stop()
	r.inj.Attach(r.game)
	r.start() // the wish survives a restart
	eventually(t, func() bool { return r.game.count(cancelCall(g.ID)) == 1 }, "typed by the poller")
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 1, r.game.count(cancelCall(g.ID)))
}

func TestGift_SentMailForAFailedRequestAlsoTellsTheAddonToDropIt(t *testing.T) {
	r := newRig(t)
	g := r.api.AddGift("Норинн", "viewer7001")
	r.api.SetGift(g.ID, func(x *events.GiftRequest) { x.Status, x.Reason = domain.GiftFailed, domain.GiftReasonFailedByStreamer })
	r.start()
	r.emit("[MGM_GIFT_SENT:" + g.ID + "]")
	eventually(t, func() bool { return r.game.count(cancelCall(g.ID)) == 1 }, "MGM_CancelGift typed")
	eventually(t, func() bool { return len(r.app.State().GiftAlerts) == 1 }, "alert")
	assert.Contains(t, r.app.State().GiftAlerts[0].Text, "was mailed")
}

func TestGift_LateItemListForAFailedRequestIsSkipped(t *testing.T) {
	r := newRig(t)
	g := r.api.AddGift("Норинн", "viewer7001")
	r.api.SetGift(g.ID, func(x *events.GiftRequest) { x.Status, x.Reason = domain.GiftFailed, domain.GiftReasonSelectionTimeout })
	r.start()
	r.emit("[MGM_ITEMS:" + g.ID + "]" + bagItems)
	eventually(t, func() bool {
		rec, ok, _ := r.app.Journal().Get("MGM_ITEMS:" + g.ID)
		return ok && rec.State == journal.StateSkipped
	}, "skipped")
	assert.Empty(t, r.app.State().GiftAlerts)
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, r.game.count(cancelCall(g.ID)), "nothing to drop for a late list")
}

func TestGift_SelectRefusedWithoutTheGame(t *testing.T) {
	r := newRig(t)
	r.game.items = bagItems
	g := r.api.AddGift("Норинн", "viewer7001")
	r.start()
	eventually(t, func() bool { v, _ := r.activeGift(); return len(v.Items) == 2 }, "items shown")
	r.inj.Attach(nil)
	_, err := r.app.SelectGiftItem(context.Background(), g.ID, 33470)
	require.ErrorIs(t, err, ErrNoGame)
	got, _ := r.api.Gift(g.ID)
	assert.Equal(t, domain.GiftSelectingItem, got.Status, "no consent clock started")
	_, err = r.app.SelectGiftItem(context.Background(), g.ID, 99999)
	assert.Error(t, err)
}

func TestGift_UnlistedItemIsRefused(t *testing.T) {
	r := newRig(t)
	r.game.items = bagItems
	g := r.api.AddGift("Норинн", "viewer7001")
	r.start()
	eventually(t, func() bool { v, _ := r.activeGift(); return len(v.Items) == 2 }, "items shown")
	_, err := r.app.SelectGiftItem(context.Background(), g.ID, 99999)
	assert.ErrorContains(t, err, "not in the list")
	assert.Zero(t, r.api.Count("POST /api/gift-requests/"+g.ID+"/select-item"))
}

func TestGift_OffMeansNoPollingAndNothingTyped(t *testing.T) {
	r := newRig(t)
	r.api.AddGift("Норинн", "viewer7001")
	r.start(func(o *Options) { o.Settings.GiftsEnabled = false })
	time.Sleep(150 * time.Millisecond)
	assert.Zero(t, r.api.Count("GET /api/gift-requests"))
	assert.Zero(t, r.game.count("/run MGM_RequestGiftItems("))
	st := r.app.State()
	assert.Empty(t, st.Gifts)
	assert.Contains(t, st.GiftStatus.Text, "switched off")
	b, err := json.Marshal(st)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), `"gifts":[]`), "an empty list, not null, for the window")
}
