package wowclient_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

type giftItem struct {
	ItemID  int    `json:"itemId"`
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Quality int    `json:"quality"`
}

var itemsTagRe = regexp.MustCompile(`\[MGM_ITEMS:([0-9A-Za-z-]+)(?::(\d+)/(\d+))?\](\[.*\])`)

// reassembleItems is how a reader (the Desktop) puts a split item list back together:
// every line holds a complete JSON array; parts 1..n are concatenated.
func reassembleItems(t *testing.T, lines []string, id string) []giftItem {
	t.Helper()
	type part struct {
		k     int
		items []giftItem
	}
	var parts []part
	total := 1
	for _, l := range lines {
		m := itemsTagRe.FindStringSubmatch(l)
		require.NotNil(t, m, l)
		require.Equal(t, id, m[1])
		k, n := 1, 1
		if m[2] != "" {
			k, _ = strconv.Atoi(m[2])
			n, _ = strconv.Atoi(m[3])
		}
		total = n
		var items []giftItem
		require.NoError(t, json.Unmarshal([]byte(m[4]), &items), l)
		parts = append(parts, part{k, items})
	}
	require.Len(t, parts, total)
	sort.Slice(parts, func(i, j int) bool { return parts[i].k < parts[j].k })
	var all []giftItem
	for i, p := range parts {
		require.Equal(t, i+1, p.k)
		all = append(all, p.items...)
	}
	return all
}

func stockBags(t *testing.T, c *wowclient.Client) {
	t.Helper()
	for _, it := range []wowclient.Item{
		{ID: 33470, Name: "Frostweave Cloth", Quality: 1, Count: 20},
		{ID: 40752, Name: "Emblem of Heroism", Quality: 4, Count: 5, Soulbound: true},
		{ID: 43297, Name: "Damaged Necklace", Quality: 1, Quest: true, Soulbound: true},
		{ID: 44731, Name: "Bouquet of Ebon Roses", Quality: 3},
		{ID: 36912, Name: "Saronite Ore", Quality: 1, Count: 7},
		{ID: 33470, Name: "Frostweave Cloth", Quality: 1, Count: 12},
		{ID: 41119, Name: `Saronite "Bomb" | x`, Quality: 1, Count: 3},
		{ID: 50000, Name: "Quest Scroll", Quality: 1, Quest: true},
	} {
		_, _, err := c.AddBagItem(it)
		require.NoError(t, err)
	}
}

func TestGift_ListsGiftableItemsWithRealIds(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, `/run MGM_RequestGiftItems("`+giftID+`")`)

	golden(t, "items", tagLines(c))
	items := reassembleItems(t, tagLines(c), giftID)
	assert.Equal(t, []giftItem{
		{33470, "Frostweave Cloth", 32, 1},
		{44731, "Bouquet of Ebon Roses", 1, 3},
		{36912, "Saronite Ore", 7, 1},
		{41119, `Saronite "Bomb" | x`, 3, 1},
	}, items, "no soulbound or quest items; stacks summed per item id")
}

func TestGift_EmptyBagsListNothing(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeLine(t, c, `/run MGM_RequestGiftItems("`+giftID+`")`)
	assert.Equal(t, []string{"[MGM_ITEMS:" + giftID + "][]"}, tagLines(c))
}

func TestGift_LongListIsSplitIntoLinesOfAtMost255Bytes(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	var want []giftItem
	for i := 0; i < 60; i++ {
		name := fmt.Sprintf("Рунический свиток номер %d", i)
		if i%7 == 0 {
			name = strings.Repeat("Очень длинное имя ", 8) // longer than a line allows
		}
		_, _, err := c.AddBagItem(wowclient.Item{ID: 10000 + i, Name: name, Quality: 2, Count: i + 1})
		require.NoError(t, err)
		want = append(want, giftItem{10000 + i, name, i + 1, 2})
	}
	typeLine(t, c, `/run MGM_RequestGiftItems("`+giftID+`")`)

	lines := tagLines(c)
	require.Greater(t, len(lines), 1)
	for _, l := range lines {
		assert.LessOrEqual(t, len(l), 255, l)
	}
	got := reassembleItems(t, lines, giftID)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].ItemID, got[i].ItemID)
		assert.Equal(t, want[i].Count, got[i].Count)
		assert.True(t, strings.HasPrefix(want[i].Name, got[i].Name), "a name is only ever shortened: %q", got[i].Name)
	}
}

func TestGift_ConsentAcceptAndMail(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Норинн", "Jaina")
	stockBags(t, c)
	// a gold consent is pending for someone else and for the same viewer: !twgift must not care
	notify(t, c, payout1, "Jaina")
	typeLine(t, c, `/run MGM_RequestGiftConfirmation("`+giftID+`","Норинн",44731)`)
	c.Advance(2 * time.Second) // whispers leave one a second (flood protection)

	ws := c.SentWhispers()
	require.Len(t, ws, 2)
	assert.Equal(t, "Норинн", ws[1].To)
	assert.True(t, strings.HasSuffix(ws[1].Text, "!twgift"), ws[1].Text)
	assert.Contains(t, ws[1].Text, "Bouquet of Ebon Roses")
	assert.LessOrEqual(t, len(ws[1].Text), 255)

	require.NoError(t, c.Whisper("Jaina", "!twgift"))
	assert.Empty(t, tagLines(c), "wrong sender")
	require.NoError(t, c.Whisper("норинн", " !TWGIFT "))
	assert.Equal(t, []string{"[MGM_GIFT_ACCEPT:" + giftID + "]"}, tagLines(c))

	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "Норинн", c.Text("SendMailNameEditBox"))
	link, err := c.Eval("GetSendMailItemLink(1)")
	require.NoError(t, err)
	assert.Contains(t, link, "item:44731:")
	pressSend(t, c)
	c.Advance(time.Second)

	assert.Equal(t, []string{"[MGM_GIFT_ACCEPT:" + giftID + "]", "[MGM_GIFT_SENT:" + giftID + "]"}, tagLines(c))
	mails := c.SentMails()
	require.Len(t, mails, 1)
	assert.Equal(t, "Норинн", mails[0].To)
	assert.Zero(t, mails[0].Copper)
	require.Len(t, mails[0].Items, 1)
	assert.Equal(t, 44731, mails[0].Items[0].ID)
	for _, s := range c.BagItems() {
		assert.NotEqual(t, 44731, s.Item.ID, "the item left the bags")
	}
	assert.Equal(t, giftSent, c.SentWhispers()[2].Text)

	// the gold consent is untouched
	require.NoError(t, c.Whisper("Jaina", "!twgold"))
	assert.Contains(t, tagLines(c), "[MGM_ACCEPT:"+payout1+"]")
}

func TestGift_AcceptSurvivesReload(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, `/run MGM_RequestGiftConfirmation("`+giftID+`","Norinn",36912)`)
	require.NoError(t, c.Reload())
	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	assert.Equal(t, []string{"[MGM_GIFT_ACCEPT:" + giftID + "]"}, tagLines(c))
	assert.Equal(t, []string{giftID}, queueIDs(t, c))
}

func TestGift_ItemGoneFromBagsDoesNotArm(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeLine(t, c, `/run MGM_QueueGift("`+giftID+`","Norinn",44731)`)
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "ready", headState(t, c))
}

func TestGift_SoulboundItemIsNeverAttached(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, `/run MGM_QueueGift("`+giftID+`","Norinn",40752)`)
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "ready", headState(t, c))
	v, err := c.Eval("GetSendMailItem(1)")
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestGift_SwappedItemIsNotTracked(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, `/run MGM_QueueGift("`+giftID+`","Norinn",44731)`)
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	// the streamer takes the gift out and puts ore in instead
	require.NoError(t, c.Run(`ClickSendMailItemButton(1, true)
		for bag = 0, 4 do for slot = 1, GetContainerNumSlots(bag) do
			if GetContainerItemID(bag, slot) == 36912 then PickupContainerItem(bag, slot) end
		end end
		ClickSendMailItemButton(1)`))
	pressSend(t, c)
	c.Advance(time.Second)
	require.Len(t, c.SentMails(), 1)
	assert.Equal(t, 36912, c.SentMails()[0].Items[0].ID)
	assert.Empty(t, tagLines(c))
	assert.Equal(t, "ready", headState(t, c))
}

func TestGift_ReloadBetweenSendAndSuccessThenItWasSent(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, `/run MGM_RequestGiftConfirmation("`+giftID+`","Norinn",44731)`)
	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	require.Equal(t, []string{"[MGM_GIFT_ACCEPT:" + giftID + "]"}, tagLines(c))
	require.NoError(t, c.OpenMailbox())
	n := len(c.ChatLines())
	sendThenReload(t, c)

	require.Len(t, c.SentMails(), 1, "the gift did go out")
	assert.Len(t, tagLines(c), 1, "no [MGM_GIFT_SENT] yet")
	assert.Equal(t, "unconfirmed", headState(t, c))
	assert.Contains(t, strings.Join(newLines(c, n), "\n"), "Norinn  [Bouquet of Ebon Roses]  id "+giftID)

	require.NoError(t, c.OpenMailbox())
	assert.Contains(t, c.Text("MGM_PanelCheck"), "Norinn  [Bouquet of Ebon Roses]: sent? — check")
	assert.ErrorIs(t, c.ClickButton("MGM_PrepareMailButton"), wowclient.ErrNotClickable)
	whispers := len(c.SentWhispers())
	require.NoError(t, c.ClickButton("MGM_SentButton"))
	assert.Equal(t, []string{"[MGM_GIFT_ACCEPT:" + giftID + "]", "[MGM_GIFT_SENT:" + giftID + "]"}, tagLines(c))
	ws := c.SentWhispers()
	require.Len(t, ws, whispers+1)
	assert.Equal(t, "Norinn", ws[whispers].To)
	assert.Equal(t, giftSent, ws[whispers].Text)
	assert.Empty(t, queue(t, c))
	v, err := c.Eval("MGM_DB.gifts['" + giftID + "']")
	require.NoError(t, err)
	assert.Nil(t, v, "the gift consent is done")

	// queued again later (e.g. !twgift repeated): it was sent, so the tag is repeated instead
	typeLine(t, c, `/run MGM_QueueGift("`+giftID+`","Norinn",44731)`)
	assert.Empty(t, queue(t, c))
	assert.Len(t, tagsWith(c, "[MGM_GIFT_SENT:"+giftID+"]"), 2)
	assert.Len(t, c.SentMails(), 1)
}

func TestGift_ReloadBetweenSendAndFailureThenRetry(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, `/run MGM_QueueGift("`+giftID+`","Norinn",44731)`)
	require.NoError(t, c.OpenMailbox())
	c.FailNextMail("Internal mail database error.")
	sendThenReload(t, c)
	require.Empty(t, c.SentMails())
	require.Equal(t, "unconfirmed", headState(t, c))

	typeLine(t, c, "/mgm retry "+giftID)
	assert.Equal(t, "ready", headState(t, c))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_GIFT_SENT:" + giftID + "]"}, tagLines(c))
	require.Len(t, c.SentMails(), 1)
	require.Len(t, c.SentMails()[0].Items, 1)
	assert.Equal(t, 44731, c.SentMails()[0].Items[0].ID)
}

func TestGift_SlashSentConfirmsAnUnconfirmedGiftOnce(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, `/run MGM_QueueGift("`+giftID+`","Norinn",44731)`)
	require.NoError(t, c.OpenMailbox())
	sendThenReload(t, c)

	typeLine(t, c, "/mgm sent "+giftID)
	typeLine(t, c, "/mgm sent "+giftID)
	assert.Equal(t, []string{"[MGM_GIFT_SENT:" + giftID + "]"}, tagLines(c))
	assert.Empty(t, queue(t, c))
}
