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

func queue(t *testing.T, c *wowclient.Client) []any {
	t.Helper()
	v, err := c.Eval("MGM_DB.queue")
	require.NoError(t, err)
	switch q := v.(type) {
	case []any:
		return q
	default:
		return nil
	}
}

func queueIDs(t *testing.T, c *wowclient.Client) []string {
	var ids []string
	for _, e := range queue(t, c) {
		ids = append(ids, e.(map[string]any)["id"].(string))
	}
	return ids
}

func headState(t *testing.T, c *wowclient.Client) string {
	v, err := c.Eval("MimironsGoldOMatic.Mail.State(MGM_DB.queue[1])")
	require.NoError(t, err)
	return v.(string)
}

func receiveGold(t *testing.T, c *wowclient.Client, spec string) {
	t.Helper()
	typeLine(t, c, `/run ReceiveGold("`+spec+`")`)
}

func prepareAndSend(t *testing.T, c *wowclient.Client) {
	t.Helper()
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	pressSend(t, c)
	c.Advance(time.Second)
}

func TestReceiveGold_ValidatesEntriesAndSkipsDuplicates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, spec string
		want       []string
	}{
		{"one", payout1 + ":Norinn:10000000", []string{payout1}},
		{"several and trailing separator", payout1 + ":Norinn:10000000;" + payout2 + ":Тралл:5;", []string{payout1, payout2}},
		{"spaces around entries", " " + payout1 + " : Norinn : 1 ; ", []string{payout1}},
		{"duplicate id in one call", payout1 + ":Norinn:1;" + payout1 + ":Jaina:2", []string{payout1}},
		{"missing field", payout1 + ":Norinn;" + payout2 + ":Jaina:1", []string{payout2}},
		{"extra field", payout1 + ":Norinn:1:2", nil},
		{"bad name", payout1 + ":Nor1nn:1;" + payout2 + ":N:1;" + payout3 + ":Abcdefghijklm:1", nil},
		{"bad copper", payout1 + ":Norinn:0;" + payout2 + ":Norinn:-5;" + payout3 + ":Norinn:1e6", nil},
		{"copper over the gold cap", payout1 + ":Norinn:2147483648", nil},
		{"bad id", "pay out:Norinn:1;:Norinn:1", nil},
		{"empty", "", nil},
		{"garbage", ";;;:::;", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t)
			receiveGold(t, c, tc.spec)
			assert.Equal(t, tc.want, queueIDs(t, c))
			assert.Empty(t, tagLines(c))
		})
	}
}

func TestReceiveGold_IdAlreadyQueuedIsNotQueuedAgain(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, payout1+":Norinn:10000000")
	receiveGold(t, c, payout1+":Norinn:10000000;"+payout2+":Jaina:10000000")
	assert.Equal(t, []string{payout1, payout2}, queueIDs(t, c))
}

func TestMail_ArmedSendConfirmsWhispersAndAdvances(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn", "Jaina")
	notify(t, c, payout1, "Norinn")
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Jaina:%d", payout1, gold1000, payout2, gold1000))
	require.NoError(t, c.OpenMailbox())
	assert.True(t, c.Shown("MGM_Panel"), "the queue panel opens beside the mailbox")

	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "Norinn", c.Text("SendMailNameEditBox"))
	assert.NotEmpty(t, c.Text("SendMailSubjectEditBox"))
	copper, err := c.Eval("MoneyInputFrame_GetCopper(SendMailMoney)")
	require.NoError(t, err)
	assert.Equal(t, float64(gold1000), copper)
	assert.Equal(t, "armed", headState(t, c))
	money := c.Money()

	pressSend(t, c)
	assert.Equal(t, "sending", headState(t, c))
	assert.Empty(t, tagLines(c), "nothing before the server confirms")
	c.Advance(2 * time.Second)

	golden(t, "confirm", tagLines(c))
	mails := c.SentMails()
	require.Len(t, mails, 1)
	assert.Equal(t, "Norinn", mails[0].To)
	assert.Equal(t, int64(gold1000), mails[0].Copper)
	assert.Equal(t, money-gold1000-30, c.Money())
	ws := c.SentWhispers()
	assert.Equal(t, sentText, ws[len(ws)-1].Text)
	assert.Equal(t, "Norinn", ws[len(ws)-1].To)
	assert.True(t, c.Shown("MGM_Toast"))
	assert.Equal(t, []string{payout2}, queueIDs(t, c), "the queue advanced")
	assert.Equal(t, "ready", headState(t, c), "the next entry is not armed by itself")
	v, err := c.Eval("MGM_DB.pending['" + payout1 + "']")
	require.NoError(t, err)
	assert.Nil(t, v, "the pending acceptance is done")

	c.Advance(6 * time.Second)
	assert.False(t, c.Shown("MGM_Toast"), "the toast goes away")

	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]", "[MGM_CONFIRM:" + payout2 + "]"}, tagLines(c))
	assert.Empty(t, queue(t, c))
}

func TestMail_ManualMailNeverEmitsATag(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.SetText("SendMailNameEditBox", "Norinn"))
	require.NoError(t, c.SetText("SendMailSubjectEditBox", "hi"))
	require.NoError(t, c.Run("MoneyInputFrame_SetCopper(SendMailMoney, 10000000)"))
	pressSend(t, c)
	c.Advance(time.Second)

	require.Len(t, c.SentMails(), 1, "the mail went out")
	assert.Empty(t, tagLines(c))
	assert.Equal(t, []string{payout1}, queueIDs(t, c))
}

func TestMail_ChangedRecipientDisarms(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, c.SetText("SendMailNameEditBox", "Jaina"))
	pressSend(t, c)
	c.Advance(time.Second)

	require.Len(t, c.SentMails(), 1)
	assert.Empty(t, tagLines(c))
	assert.Equal(t, "ready", headState(t, c))
}

func TestMail_RecipientMatchIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Норинн:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, c.SetText("SendMailNameEditBox", "нОРИНН"))
	pressSend(t, c)
	c.Advance(time.Second)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
}

func TestMail_FailureLeavesTheEntryReadyAndArmsNothing(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	c.FailNextMail("")
	prepareAndSend(t, c)

	assert.Empty(t, tagLines(c))
	assert.Empty(t, c.SentMails())
	assert.Equal(t, "ready", headState(t, c))

	// pressing Send again without Prepare Mail is a manual mail
	pressSend(t, c)
	c.Advance(time.Second)
	assert.Empty(t, tagLines(c))

	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
}

func TestMail_ClosingTheMailboxDisarms(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, c.CloseMailbox())
	assert.Equal(t, "ready", headState(t, c))
	assert.False(t, c.Shown("MGM_Panel"))

	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.SetText("SendMailNameEditBox", "Norinn"))
	require.NoError(t, c.SetText("SendMailSubjectEditBox", "x"))
	pressSend(t, c)
	c.Advance(time.Second)
	assert.Empty(t, tagLines(c))
}

func TestMail_PrepareNeedsAnOpenMailbox(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	typeLine(t, c, "/mgm")
	require.True(t, c.Shown("MGM_Panel"))
	assert.ErrorIs(t, c.ClickButton("MGM_PrepareMailButton"), wowclient.ErrNotClickable)
	assert.NoError(t, c.Run("MimironsGoldOMatic.Mail.Prepare()"))
	assert.Equal(t, "ready", headState(t, c))
}

func TestMail_QueueSurvivesReload(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Тралл:%d", payout1, gold1000, payout2, 12345))
	require.NoError(t, c.Reload())
	assert.Equal(t, []string{payout1, payout2}, queueIDs(t, c))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
}

func TestMail_RepeatedReceiveGoldAfterSendReconfirmsInsteadOfPayingTwice(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	require.NoError(t, c.Reload())
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))

	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]", "[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
	assert.Empty(t, queue(t, c))
	assert.Len(t, c.SentMails(), 1)
}

func TestMail_SkipRotatesTheHead(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:1;%s:Jaina:2", payout1, payout2))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_SkipButton"))
	assert.Equal(t, []string{payout2, payout1}, queueIDs(t, c))
	assert.Contains(t, c.Text("MGM_PanelRow1"), "Jaina")
}

func TestMail_PrepareEmptiesAttachmentsLeftByHand(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	bag, slot, err := c.AddBagItem(wowclient.Item{ID: 36912, Name: "Saronite Ore", Quality: 1, Count: 7})
	require.NoError(t, err)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.Run(fmt.Sprintf("PickupContainerItem(%d, %d); ClickSendMailItemButton(3)", bag, slot)))
	v, err := c.Eval("GetSendMailItem(3)")
	require.NoError(t, err)
	require.Equal(t, "Saronite Ore", v, "the streamer attached an item by hand")

	prepareAndSend(t, c)
	mails := c.SentMails()
	require.Len(t, mails, 1)
	assert.Empty(t, mails[0].Items, "only the gold goes out in an MGM mail")
	assert.Equal(t, int64(gold1000), mails[0].Copper)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
}

func TestMail_NotEnoughGoldDoesNotArm(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) { o.Money = 500 * 10_000 })
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	n := len(c.ChatLines())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Contains(t, strings.Join(newLines(c, n), "\n"), "not enough gold")
	assert.Equal(t, "ready", headState(t, c))

	// whatever the streamer then sends by hand is not the payout
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.SetText("SendMailNameEditBox", "Norinn"))
	require.NoError(t, c.SetText("SendMailSubjectEditBox", "x"))
	pressSend(t, c)
	c.Advance(time.Second)
	require.Len(t, c.SentMails(), 1)
	assert.Empty(t, tagLines(c))
}

func TestMail_ChangedAmountIsNotTracked(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, c.Run("MoneyInputFrame_SetCopper(SendMailMoney, 10000)"))
	pressSend(t, c)
	c.Advance(time.Second)
	require.Len(t, c.SentMails(), 1, "the streamer's own mail goes out")
	assert.Equal(t, int64(10000), c.SentMails()[0].Copper)
	assert.Empty(t, tagLines(c), "1g is not the 1,000g payout")
	assert.Equal(t, "ready", headState(t, c))

	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
}

func TestMail_CODInsteadOfMoneyIsNotTracked(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	require.NoError(t, c.Run("SendMailSendMoneyButton:SetChecked(nil); SendMailCODButton:SetChecked(1)"))
	pressSend(t, c)
	c.Advance(time.Second)
	assert.Empty(t, tagLines(c))
	assert.Equal(t, "ready", headState(t, c))
}

// sendThenReload presses Prepare Mail and Send, then /reloads before the server answers.
func sendThenReload(t *testing.T, c *wowclient.Client) {
	t.Helper()
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	pressSend(t, c)
	require.NoError(t, c.Reload())
	c.Advance(time.Second)
}

func entryField(t *testing.T, c *wowclient.Client, i int, field string) any {
	t.Helper()
	v, err := c.Eval(fmt.Sprintf("MGM_DB.queue[%d] and MGM_DB.queue[%d].%s", i, i, field))
	require.NoError(t, err)
	return v
}

func TestMail_SendMarksTheEntryUnconfirmedInSavedVariablesUntilTheServerAnswers(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Jaina:%d", payout1, gold1000, payout2, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	pressSend(t, c)
	assert.Equal(t, "sending", headState(t, c))
	assert.Equal(t, "unconfirmed", entryField(t, c, 1, "state"), "kept in MGM_DB, which /reload writes")
	assert.False(t, c.Shown("MGM_SentButton"), "a mail in flight in this session is not for the streamer to judge")
	n := len(c.ChatLines())
	typeLine(t, c, "/mgm sent "+payout1)
	assert.Contains(t, strings.Join(newLines(c, n), "\n"), "still waiting for the server's answer")

	c.Advance(time.Second)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
	assert.Nil(t, entryField(t, c, 1, "state"), "the next entry is untouched")

	// a failed send clears the mark
	c.FailNextMail("")
	prepareAndSend(t, c)
	assert.Equal(t, "ready", headState(t, c))
	assert.Nil(t, entryField(t, c, 1, "state"))
	require.NoError(t, c.Reload())
	assert.Equal(t, "ready", headState(t, c))
	assert.False(t, c.Shown("MGM_SentButton"))
}

func TestMail_ReloadBetweenSendAndSuccessLeavesTheEntryUnconfirmed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		cutOff func(*wowclient.Client) error
	}{
		{"reload", (*wowclient.Client).Reload},
		{"disconnect", func(c *wowclient.Client) error {
			if err := c.Logout(); err != nil {
				return err
			}
			c.Advance(time.Second)
			return c.Login()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t)
			c.SetOnline("Norinn")
			notify(t, c, payout1, "Norinn")
			receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
			require.NoError(t, c.OpenMailbox())
			require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
			pressSend(t, c)
			n := len(c.ChatLines())
			require.NoError(t, tc.cutOff(c))
			c.Advance(time.Second)

			require.Len(t, c.SentMails(), 1, "the mail did go out")
			assert.Empty(t, tagLines(c), "nobody confirmed it")
			assert.Equal(t, []string{payout1}, queueIDs(t, c))
			assert.Equal(t, "unconfirmed", headState(t, c))
			login := strings.Join(newLines(c, n), "\n")
			assert.Contains(t, login, "1 mail(s) may have gone out without a confirmation")
			assert.Contains(t, login, "Norinn  1000g  id "+payout1)
			assert.Contains(t, login, "/mgm sent <id>")

			// Prepare Mail does nothing for it
			require.NoError(t, c.OpenMailbox())
			assert.Contains(t, c.Text("MGM_PanelRow1"), "sent?")
			assert.True(t, c.Shown("MGM_PanelCheck"))
			assert.Contains(t, c.Text("MGM_PanelCheck"), "Norinn  1000g: sent? — check")
			assert.Contains(t, c.Text("MGM_PanelCheck"), "your gold at Send: 100000g, now: 98999g 99s 70c")
			assert.ErrorIs(t, c.ClickButton("MGM_PrepareMailButton"), wowclient.ErrNotClickable)
			n = len(c.ChatLines())
			require.NoError(t, c.Run("MimironsGoldOMatic.Mail.Prepare()"))
			assert.Contains(t, strings.Join(newLines(c, n), "\n"), "may already have gone out")
			assert.Empty(t, c.Text("SendMailNameEditBox"), "nothing was filled in")
			assert.Equal(t, "unconfirmed", headState(t, c))
			assert.Empty(t, tagLines(c))

			whispers := len(c.SentWhispers())
			require.NoError(t, c.ClickButton("MGM_SentButton"))
			assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
			ws := c.SentWhispers()
			require.Len(t, ws, whispers+1)
			assert.Equal(t, wowclient.Whisper{To: "Norinn", Text: sentText}, wowclient.Whisper{To: ws[whispers].To, Text: ws[whispers].Text})
			assert.Empty(t, queue(t, c), "the queue advanced")
			assert.False(t, c.Shown("MGM_SentButton"))
			assert.False(t, c.Shown("MGM_RetryButton"))
			v, err := c.Eval("MGM_DB.pending['" + payout1 + "']")
			require.NoError(t, err)
			assert.Nil(t, v, "the pending acceptance is done")
			assert.Len(t, c.SentMails(), 1, "paid once")

			// it is remembered as sent, like a confirmed send
			require.NoError(t, c.Reload())
			receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
			assert.Empty(t, queue(t, c))
			assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]", "[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
		})
	}
}

func TestMail_NotSentRetryMakesTheEntryPreparableAgain(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	c.FailNextMail("Internal mail database error.")
	sendThenReload(t, c)
	require.Empty(t, c.SentMails(), "this time the server refused it")
	require.Equal(t, "unconfirmed", headState(t, c))

	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_RetryButton"))
	assert.Equal(t, "ready", headState(t, c))
	assert.False(t, c.Shown("MGM_SentButton"))
	assert.False(t, c.Shown("MGM_PanelCheck"))
	assert.Empty(t, tagLines(c))

	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
	assert.Len(t, c.SentMails(), 1)
	assert.Empty(t, queue(t, c))
}

func TestMail_PrepareSkipsAnUnconfirmedHeadForTheNextEntry(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Jaina:%d;%s:Thrall:%d", payout1, gold1000, payout2, gold1000, payout3, gold1000))
	require.NoError(t, c.OpenMailbox())
	sendThenReload(t, c)
	require.NoError(t, c.OpenMailbox())

	require.NoError(t, c.ClickButton("MGM_SkipButton"))
	assert.Equal(t, []string{payout1, payout3, payout2}, queueIDs(t, c), "Skip moves the entry Prepare Mail would take")
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	assert.Equal(t, "Thrall", c.Text("SendMailNameEditBox"))
	pressSend(t, c)
	c.Advance(time.Second)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout3 + "]"}, tagLines(c))
	assert.Equal(t, []string{payout1, payout2}, queueIDs(t, c))
	assert.Equal(t, "unconfirmed", headState(t, c), "still waiting for the streamer's check")
	assert.Len(t, c.SentMails(), 2, "Norinn's mail was not sent again")
}

func TestMail_SlashSentAndRetry(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Jaina:%d;%s:Thrall:%d", payout1, gold1000, payout2, gold1000, payout3, gold1000))
	require.NoError(t, c.OpenMailbox())
	sendThenReload(t, c) // Norinn
	require.NoError(t, c.OpenMailbox())
	sendThenReload(t, c) // Jaina
	require.Equal(t, []string{"unconfirmed", "unconfirmed"}, []string{
		evalString(t, c, "MimironsGoldOMatic.Mail.State(MGM_DB.queue[1])"),
		evalString(t, c, "MimironsGoldOMatic.Mail.State(MGM_DB.queue[2])"),
	})

	say := func(line string) string {
		t.Helper()
		n := len(c.ChatLines())
		typeLine(t, c, line)
		return strings.Join(newLines(c, n), "\n")
	}
	assert.Contains(t, say("/mgm sent"), "2 mail(s) may have gone out", "without an id it lists them")
	assert.Contains(t, say("/mgm sent 7d9b"), "fits several mails")
	assert.Contains(t, say("/mgm sent nope-nope"), "no queued mail has the id")
	assert.Contains(t, say("/mgm retry "+payout3), "was never sent", "a ready entry is not the streamer's to mark")
	assert.Empty(t, tagLines(c))

	say("/mgm sent " + strings.ToUpper(payout2))
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout2 + "]"}, tagLines(c))
	assert.Equal(t, []string{payout1, payout3}, queueIDs(t, c))
	assert.Contains(t, say("/mgm sent "+payout2), "no queued mail", "a second /mgm sent cannot confirm twice")
	assert.Len(t, tagLines(c), 1)

	say("/mgm retry " + payout1[:8]) // a unique prefix will do
	assert.Equal(t, "ready", headState(t, c))
	assert.Contains(t, say("/mgm sent"), "no mail is waiting for a check")
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	assert.Equal(t, []string{"[MGM_CONFIRM:" + payout2 + "]", "[MGM_CONFIRM:" + payout1 + "]"}, tagLines(c))
}

func evalString(t *testing.T, c *wowclient.Client, expr string) string {
	t.Helper()
	v, err := c.Eval(expr)
	require.NoError(t, err)
	s, _ := v.(string)
	return s
}
