package wowclient_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

const cloth = 33470 // Frostweave Cloth

func addStacks(t *testing.T, c *wowclient.Client, id int, name string, counts ...int) {
	t.Helper()
	for _, n := range counts {
		_, _, err := c.AddBagItem(wowclient.Item{ID: id, Name: name, Quality: 1, Count: n})
		require.NoError(t, err)
	}
}

// bagCount is how many of item id the bags hold, all stacks together.
func bagCount(c *wowclient.Client, id int) int {
	n := 0
	for _, s := range c.BagItems() {
		if s.Item.ID == id {
			n += s.Item.Count
		}
	}
	return n
}

// attached lists the counts in the send form's attachment slots (0 for an empty slot).
func attached(t *testing.T, c *wowclient.Client) []int {
	t.Helper()
	var out []int
	for i := 1; i <= 12; i++ {
		v, err := c.Eval(fmt.Sprintf("select(3, GetSendMailItem(%d))", i))
		require.NoError(t, err)
		n, _ := v.(float64)
		out = append(out, int(n))
	}
	return out
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func mailedCount(m wowclient.Mail, id int) int {
	n := 0
	for _, it := range m.Items {
		if it.ID == id {
			n += it.Count
		}
	}
	return n
}

func printedSince(c *wowclient.Client, n int) string {
	return strings.Join(newLines(c, n), "\n")
}

func TestGiftStacks_ListedCountIsMailedInFullFromSeveralStacks(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c) // Frostweave Cloth 20 + 12, listed as 32
	addStacks(t, c, cloth, "Frostweave Cloth", 5)
	typeLine(t, c, fmt.Sprintf(`/run MGM_RequestGiftConfirmation("%s","Norinn",%d,32)`, giftID, cloth))
	ws := c.SentWhispers()
	require.Len(t, ws, 1)
	assert.Contains(t, ws[0].Text, "Frostweave Cloth ×32")
	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	require.NoError(t, c.OpenMailbox())

	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "armed", headState(t, c))
	got := attached(t, c)
	assert.Equal(t, 32, sum(got), "32 cloth over %v", got)
	assert.Equal(t, []int{20, 12}, got[:2], "whole stacks that make 32, the 5 stays")
	pressSend(t, c)
	c.Advance(time.Second)

	assert.Equal(t, []string{"[MGM_GIFT_ACCEPT:" + giftID + "]", "[MGM_GIFT_SENT:" + giftID + "]"}, tagLines(c), "one [MGM_GIFT_SENT]")
	mails := c.SentMails()
	require.Len(t, mails, 1)
	assert.Equal(t, 32, mailedCount(mails[0], cloth))
	assert.Len(t, mails[0].Items, 2)
	for _, it := range mails[0].Items {
		assert.Equal(t, cloth, it.ID, "nothing else rides along")
	}
	assert.Equal(t, 5, bagCount(c, cloth), "the bags lost exactly 32")
	assert.Empty(t, queue(t, c))
}

func TestGiftStacks_AnExactChoiceIsFoundWhereLargestFirstIsNot(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	addStacks(t, c, cloth, "Frostweave Cloth", 20, 15, 15)
	typeLine(t, c, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",%d,30)`, giftID, cloth))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_GIFT_SENT:" + giftID + "]"}, tagLines(c))
	require.Len(t, c.SentMails(), 1)
	assert.Equal(t, 30, mailedCount(c.SentMails()[0], cloth))
	assert.Equal(t, 20, bagCount(c, cloth))
}

func TestGiftStacks_ACountNeedingASplitIsRefusedWithTheSplitToMake(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	addStacks(t, c, cloth, "Frostweave Cloth", 20, 20)
	typeLine(t, c, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",%d,32)`, giftID, cloth))
	require.NoError(t, c.OpenMailbox())
	n := len(c.ChatLines())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))

	assert.Equal(t, "ready", headState(t, c), "not armed")
	assert.Zero(t, sum(attached(t, c)), "nothing attached")
	assert.Contains(t, printedSince(c, n), "split 12 off a stack of 20")
	pressSend(t, c)
	c.Advance(time.Second)
	assert.Empty(t, tagLines(c), "a mail sent anyway is not tracked")
	assert.Equal(t, 40, bagCount(c, cloth))

	// After the split the hint asks for (20, 8 + 12), Prepare Mail finds 20 + 12.
	c2 := newClient(t)
	addStacks(t, c2, cloth, "Frostweave Cloth", 20, 8, 12)
	typeLine(t, c2, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",%d,32)`, giftID, cloth))
	require.NoError(t, c2.OpenMailbox())
	prepareAndSend(t, c2)
	assert.Equal(t, []string{"[MGM_GIFT_SENT:" + giftID + "]"}, c2.TagLines())
	require.Len(t, c2.SentMails(), 1)
	assert.Equal(t, 32, mailedCount(c2.SentMails()[0], cloth))
	assert.Equal(t, 8, bagCount(c2, cloth))
}

func TestGiftStacks_FewerItemsThanTheGiftIsRefused(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",%d,40)`, giftID, cloth))
	require.NoError(t, c.OpenMailbox())
	n := len(c.ChatLines())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "ready", headState(t, c))
	assert.Contains(t, printedSince(c, n), "hold only 32")
	assert.Zero(t, sum(attached(t, c)))
}

func TestGiftStacks_AtMostTwelveStacksGoInOneMail(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ones := make([]int, 13)
	for i := range ones {
		ones[i] = 1
	}
	addStacks(t, c, 44731, "Bouquet of Ebon Roses", ones...)
	typeLine(t, c, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",44731,13)`, giftID))
	require.NoError(t, c.OpenMailbox())
	n := len(c.ChatLines())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "ready", headState(t, c))
	assert.Contains(t, printedSince(c, n), "more than 12 stacks")

	c2 := newClient(t)
	addStacks(t, c2, 44731, "Bouquet of Ebon Roses", ones...)
	typeLine(t, c2, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",44731,12)`, giftID))
	require.NoError(t, c2.OpenMailbox())
	prepareAndSend(t, c2)
	require.Len(t, c2.SentMails(), 1)
	assert.Len(t, c2.SentMails()[0].Items, 12)
	assert.Equal(t, []string{"[MGM_GIFT_SENT:" + giftID + "]"}, c2.TagLines())
	assert.Equal(t, 1, bagCount(c2, 44731))
}

func TestGiftStacks_AStackTakenOutOfTheFormIsNotTracked(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",%d,32)`, giftID, cloth))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, c.Run(`ClickSendMailItemButton(2, true)`)) // the streamer keeps the 12
	pressSend(t, c)
	c.Advance(time.Second)
	require.Len(t, c.SentMails(), 1)
	assert.Equal(t, 20, mailedCount(c.SentMails()[0], cloth))
	assert.Empty(t, tagLines(c), "20 of 32 is not the gift")
	assert.Equal(t, "ready", headState(t, c))
}

func TestGiftCancel_DropsThePendingConsentSoALaterTwgiftDoesNothing(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, fmt.Sprintf(`/run MGM_RequestGiftConfirmation("%s","Norinn",%d,32)`, giftID, cloth))
	typeLine(t, c, `/run MGM_CancelGift("`+giftID+`")`)
	typeLine(t, c, `/run MGM_CancelGift("`+giftID+`")`) // idempotent
	require.NoError(t, c.Reload())

	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	assert.Empty(t, tagLines(c))
	assert.Empty(t, queue(t, c))
	v, err := c.Eval("MGM_DB.gifts['" + giftID + "']")
	require.NoError(t, err)
	assert.Nil(t, v)
	require.NoError(t, c.OpenMailbox())
	assert.ErrorIs(t, c.ClickButton("MGM_PrepareMailButton"), wowclient.ErrNotClickable, "nothing to prepare")
	assert.Empty(t, c.SentMails())
	assert.Equal(t, 32, bagCount(c, cloth))
}

func TestGiftCancel_DropsAnAcceptedGiftFromTheMailQueue(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	receiveGold(t, c, payout1+":Jaina:10000")
	typeLine(t, c, fmt.Sprintf(`/run MGM_RequestGiftConfirmation("%s","Norinn",%d,32)`, giftID, cloth))
	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	require.Equal(t, []string{payout1, giftID}, queueIDs(t, c))

	n := len(c.ChatLines())
	typeLine(t, c, `/run MGM_CancelGift("`+giftID+`")`)
	assert.Contains(t, printedSince(c, n), "dropped from the mail queue")
	assert.Equal(t, []string{payout1}, queueIDs(t, c), "the gold payout stays")
	typeLine(t, c, `/run MGM_CancelGift("`+giftID+`")`)
	typeLine(t, c, `/run MGM_CancelGift("`+payout1+`")`) // not a gift: left alone
	assert.Equal(t, []string{payout1}, queueIDs(t, c))

	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	assert.Empty(t, queue(t, c))
	require.Len(t, c.SentMails(), 1, "only the gold went out")
	assert.Equal(t, "Jaina", c.SentMails()[0].To)
	assert.Equal(t, []string{"[MGM_GIFT_ACCEPT:" + giftID + "]", "[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
	assert.Equal(t, 32, bagCount(c, cloth))
}

func TestGiftCancel_DisarmsAPreparedGiftAndEmptiesTheForm(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",%d,32)`, giftID, cloth))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.Equal(t, 32, sum(attached(t, c)))

	typeLine(t, c, `/run MGM_CancelGift("`+giftID+`")`)
	assert.Zero(t, sum(attached(t, c)), "the stacks went back to the bags")
	assert.Empty(t, queue(t, c))
	pressSend(t, c) // an empty mail, by hand
	c.Advance(time.Second)
	assert.Empty(t, tagLines(c))
	assert.Equal(t, 32, bagCount(c, cloth))
}

func TestGiftCancel_AMailAlreadySentStillReportsItself(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	stockBags(t, c)
	typeLine(t, c, fmt.Sprintf(`/run MGM_QueueGift("%s","Norinn",%d,32)`, giftID, cloth))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	pressSend(t, c)
	n := len(c.ChatLines())
	typeLine(t, c, `/run MGM_CancelGift("`+giftID+`")`)
	assert.Contains(t, printedSince(c, n), "already on its way")
	c.Advance(time.Second)
	require.Len(t, c.SentMails(), 1)
	assert.Equal(t, []string{"[MGM_GIFT_SENT:" + giftID + "]"}, tagLines(c), "the truth: it was mailed (the Desktop shows it against the failed request)")
	assert.Empty(t, queue(t, c))
}
