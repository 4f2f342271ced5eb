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

// The server refuses some mails without answering at all. The addon gives up on the
// answer, marks the entry "sent?" and moves on; the entry is never prepared again by
// itself, so nothing is paid twice.
func TestMailRules_UnansweredSendBecomesSentQuestionAndIsNeverPaidTwice(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Jaina:%d", payout1, gold1000, payout2, gold1000))
	require.NoError(t, c.OpenMailbox())
	money := c.Money()
	c.DropNextMail()
	prepareAndSend(t, c)
	assert.Equal(t, "sending", headState(t, c))
	c.Advance(25 * time.Second)
	assert.Equal(t, 1, c.SilentMails())
	assert.Equal(t, "unconfirmed", headState(t, c), "after the timeout the entry waits for the streamer's check")
	assert.Contains(t, c.Text("MGM_PanelCheck"), "Norinn")

	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "Jaina", c.Text("SendMailNameEditBox"), "Prepare Mail passes over the sent? entry")
	require.NoError(t, c.PressSend())
	c.Advance(2 * time.Second)
	require.Len(t, c.SentMails(), 1)
	assert.Equal(t, "Jaina", c.SentMails()[0].To)
	assert.Equal(t, money-gold1000-30, c.Money(), "Norinn was not paid")

	// the streamer checks: it did not go out
	require.NoError(t, c.ClickButton("MGM_RetryButton"))
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "Norinn", c.Text("SendMailNameEditBox"))
	require.NoError(t, c.PressSend())
	c.Advance(2 * time.Second)
	require.Len(t, c.SentMails(), 2)
	assert.Len(t, tagsWith(c, "[MGM_CONFIRM:"+payout1+"]"), 1)
}

// An answer that comes after the addon gave up still settles the entry.
func TestMailRules_LateAnswerSettlesTheSentQuestionEntry(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) { o.MailLatency = 30 * time.Second })
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	c.Advance(25 * time.Second)
	assert.Equal(t, "unconfirmed", headState(t, c))
	c.Advance(10 * time.Second)
	assert.Len(t, tagsWith(c, "[MGM_CONFIRM:"+payout1+"]"), 1)
	assert.Empty(t, queue(t, c))
}

// The server refuses to mail an item with a duration (ITEM_FIELD_DURATION) or a
// conjured one, so the item list never offers them.
func TestMailRules_ItemsTheServerRefusesAreNeverOffered(t *testing.T) {
	t.Parallel()
	for _, locale := range []string{"enUS", "ruRU"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, func(o *wowclient.Options) { o.Locale = locale })
			for _, it := range []wowclient.Item{
				{ID: 33470, Name: "Frostweave Cloth", Quality: 1, Count: 20},
				{ID: 39878, Name: "Mysterious Egg", Quality: 1, Duration: 3 * time.Hour},
				{ID: 43523, Name: "Conjured Mana Strudel", Quality: 1, Count: 20, Conjured: true},
				{ID: 44731, Name: "Bouquet of Ebon Roses", Quality: 3, Duration: 45 * time.Minute},
				{ID: 40752, Name: "Emblem of Heroism", Quality: 4, Soulbound: true},
			} {
				_, _, err := c.AddBagItem(it)
				require.NoError(t, err)
			}
			typeLine(t, c, `/run MGM_RequestGiftItems("`+giftID+`")`)
			got := reassembleItems(t, tagLines(c), giftID)
			require.Len(t, got, 1)
			assert.Equal(t, 33470, got[0].ItemID)
		})
	}
}

func TestMailRules_ServerRefusesADurationItem(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	bag, slot, err := c.AddBagItem(wowclient.Item{ID: 39878, Name: "Mysterious Egg", Quality: 1, Duration: 3 * time.Hour})
	require.NoError(t, err)
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.Run(fmt.Sprintf("PickupContainerItem(%d,%d) ClickSendMailItemButton(1)", bag, slot)))
	require.NoError(t, c.SetText("SendMailNameEditBox", "Norinn"))
	require.NoError(t, c.SetText("SendMailSubjectEditBox", "egg"))
	require.NoError(t, c.Run(`MGMTestFailed = 0
		local f = CreateFrame("Frame") f:RegisterEvent("MAIL_FAILED") f:SetScript("OnEvent", function() MGMTestFailed = MGMTestFailed + 1 end)`))
	require.NoError(t, c.PressSend())
	c.Advance(time.Second)
	assert.Empty(t, c.SentMails())
	v, err := c.Eval("MGMTestFailed")
	require.NoError(t, err)
	assert.Equal(t, float64(1), v)
}

// Items to a character of another account arrive an hour later; the gift whispers say
// so (docs/product.md §8), the gold ones do not need to (money arrives at once).
func TestMailRules_GiftItemsArriveLaterAndTheWhispersSaySo(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	stockBags(t, c)
	typeLine(t, c, `/run MGM_RequestGiftConfirmation("`+giftID+`","Norinn",44731)`)
	c.Advance(2 * time.Second)
	ws := c.SentWhispers()
	require.Len(t, ws, 1)
	assert.True(t, strings.HasSuffix(ws[0].Text, "!twgift"))
	assert.Contains(t, ws[0].Text, "до часа", "the consent whisper says the mail takes up to an hour")
	assert.LessOrEqual(t, len(ws[0].Text), 255)

	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	c.Advance(3 * time.Second)
	mails := c.SentMails()
	require.Len(t, mails, 1)
	assert.Equal(t, mails[0].At.Add(time.Hour), mails[0].DeliverAt, "items to another account arrive an hour later")
	ws = c.SentWhispers()
	assert.Equal(t, giftSent, ws[len(ws)-1].Text)
	assert.NotEqual(t, sentText, ws[len(ws)-1].Text, "not \"check your mailbox now\"")
}

func TestMailRules_ItemsToTheSameAccountArriveAtOnce(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) { o.SameAccount = []string{"Alt"} })
	bag, slot, err := c.AddBagItem(wowclient.Item{ID: 33470, Name: "Frostweave Cloth", Count: 20})
	require.NoError(t, err)
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.Run(fmt.Sprintf("PickupContainerItem(%d,%d) ClickSendMailItemButton(1)", bag, slot)))
	require.NoError(t, c.SetText("SendMailNameEditBox", "Alt"))
	require.NoError(t, c.SetText("SendMailSubjectEditBox", "cloth"))
	money := c.Money()
	require.NoError(t, c.PressSend())
	c.Advance(time.Second)
	require.Len(t, c.SentMails(), 1)
	assert.False(t, c.SentMails()[0].DeliverAt.After(c.SentMails()[0].At.Add(time.Second)))
	assert.Equal(t, money-30, c.Money(), "postage: 30 copper per item")
}

// Sending money asks first (SEND_MONEY): Cancel sends nothing and the entry stays armed;
// Accept sends it and the addon tracks it.
func TestMailRules_MoneyConfirmationPopup(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, c.ClickButton("SendMailMailButton"))
	assert.Equal(t, "SEND_MONEY", c.Popup())
	assert.Contains(t, c.Text("StaticPopup1Text"), "Norinn")
	require.NoError(t, c.ClickButton("StaticPopup1Button2")) // Cancel
	c.Advance(time.Second)
	assert.Empty(t, c.SentMails())
	assert.Equal(t, "armed", headState(t, c))

	require.NoError(t, c.PressSend())
	c.Advance(2 * time.Second)
	require.Len(t, c.SentMails(), 1)
	assert.Len(t, tagsWith(c, "[MGM_CONFIRM:"+payout1+"]"), 1)
}
