package wowclient_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

func TestType_RejectsLinesOver255Bytes(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ok := `/run MGM_Ping("` + strings.Repeat("a", 255-len(`/run MGM_Ping("")`)) + `")`
	require.Len(t, ok, 255)
	assert.ErrorIs(t, c.Type(ok), nil)
	// 255 bytes is the limit in bytes, not characters: Cyrillic letters are two bytes each
	tooLong := `/run NotifyWinnerWhisper("` + payout1 + `","` + strings.Repeat("Ж", 120) + `")`
	assert.Less(t, len([]rune(tooLong)), 255)
	assert.ErrorIs(t, c.Type(tooLong), wowclient.ErrLineTooLong)
	assert.ErrorIs(t, c.Type(ok+"x"), wowclient.ErrLineTooLong)
	assert.ErrorIs(t, c.Type("/run a()\n/run b()"), wowclient.ErrInvalidLine)
	assert.Empty(t, c.SentWhispers())
}

func TestType_LuaErrorsAreReported(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	assert.Error(t, c.Type("/run this is not lua"))
	assert.Error(t, c.Type(`/run error("boom")`))
	assert.ErrorIs(t, c.Type("/nosuchcommand"), wowclient.ErrUnknownCommand)
	assert.Len(t, c.TakeErrors(), 2)
	assert.Empty(t, c.Errors())
}

func TestType_WhisperSayAndWho(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	typeLine(t, c, "/w Norinn привет, как дела?")
	typeLine(t, c, "/tell Offline hi")
	typeLine(t, c, "hello world")
	typeLine(t, c, "/who n-Norinn")
	c.Advance(time.Second)

	ws := c.SentWhispers()
	require.Len(t, ws, 2)
	assert.Equal(t, wowclient.Whisper{To: "Norinn", Text: "привет, как дела?", At: ws[0].At, Delivered: true}, ws[0])
	assert.False(t, ws[1].Delivered)
	lines := c.ChatLines()
	assert.Contains(t, lines, "To [Norinn]: привет, как дела?")
	assert.Contains(t, lines, "No player named 'Offline' is currently playing.")
	assert.Contains(t, lines, "[Mimiron] says: hello world")
	assert.Contains(t, lines, "[Norinn]: Level 80 Human Warrior - Dalaran", "few results go to chat without SetWhoToUI(1)")
	assert.False(t, c.Shown("FriendsFrame"))
}

func TestLog_ChatLoggingIsOnAtLoginAndLinesHaveTheClientFormat(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	assert.True(t, c.Logging())
	typeLine(t, c, `/run MGM_Ping("n1")`)
	c.Advance(1234 * time.Millisecond)
	require.NoError(t, c.Whisper("Norinn", "hi"))

	lines, err := c.LogLines()
	require.NoError(t, err)
	require.Len(t, lines, 3)
	re := regexp.MustCompile(`^\d{1,2}/\d{1,2} \d\d:\d\d:\d\d\.\d{3}  \S`)
	for _, l := range lines {
		assert.Regexp(t, re, l)
	}
	assert.Equal(t, "4/4 12:00:01.000  [MGM_PONG:n1]", lines[1])
	assert.Equal(t, "4/4 12:00:02.234  [Norinn] whispers: hi", lines[2])
}

func TestLog_NothingIsLoggedWhileLoggingIsOff(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeLine(t, c, "/run LoggingChat(false)")
	typeLine(t, c, `/run MGM_Ping("n1")`)
	lines, err := c.LogLines()
	require.NoError(t, err)
	assert.Len(t, lines, 1, "only the login line")
	assert.Equal(t, []string{"[MGM_PONG:n1]"}, tagLines(c), "still shown in the chat frame")

	require.NoError(t, c.Logout())
	require.NoError(t, c.Login())
	assert.True(t, c.Logging(), "the addon turns logging on again at login")
}

func TestEmit_WhisperModeReachesALogThatDropsAddMessage(t *testing.T) {
	t.Parallel()
	// A client that does not log AddMessage output (the risk of docs/product.md §9): in the
	// default mode the tag never reaches the log; in whisper mode it does.
	c := newClient(t, func(o *wowclient.Options) { o.UnloggedAddMessage = true })
	typeLine(t, c, `/run MGM_Ping("chatframe-1")`)
	typeLine(t, c, "/mgm emit whisper")
	typeLine(t, c, `/run MGM_Ping("whisper-1")`)

	lines, err := c.LogLines()
	require.NoError(t, err)
	log := strings.Join(lines, "\n")
	assert.NotContains(t, log, "[MGM_PONG:chatframe-1]")
	assert.Contains(t, log, "To [Mimiron]: [MGM_PONG:whisper-1]")
	assert.Contains(t, log, "[Mimiron] whispers: [MGM_PONG:whisper-1]")

	typeLine(t, c, "/reload")
	typeLine(t, c, `/run MGM_Ping("whisper-2")`)
	lines, err = c.LogLines()
	require.NoError(t, err)
	assert.Contains(t, strings.Join(lines, "\n"), "[MGM_PONG:whisper-2]", "the mode is saved")

	typeLine(t, c, "/mgm emit chatframe")
	typeLine(t, c, `/run MGM_Ping("chatframe-2")`)
	assert.Contains(t, tagLines(c), "[MGM_PONG:chatframe-2]")
}

func TestPing_BadNonceEmitsNothing(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeLine(t, c, `/run MGM_Ping("")`)
	typeLine(t, c, `/run MGM_Ping("a]b")`)
	typeLine(t, c, `/run MGM_Ping("a|b")`)
	typeLine(t, c, `/run MGM_Ping()`)
	assert.Empty(t, tagLines(c))
}

func TestSlash_StatusDebugAndPanel(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	n := len(c.ChatLines())
	typeLine(t, c, "/mgm status")
	out := strings.Join(newLines(c, n), "\n")
	assert.Contains(t, out, "emit: chatframe")
	assert.Contains(t, out, "chat log: on")

	typeLine(t, c, "/MGM debug")
	v, err := c.Eval("MGM_DB.debug")
	require.NoError(t, err)
	assert.Equal(t, true, v)

	assert.False(t, c.Shown("MGM_Panel"))
	typeLine(t, c, "/mgm")
	assert.True(t, c.Shown("MGM_Panel"))
	typeLine(t, c, "/mgm")
	assert.False(t, c.Shown("MGM_Panel"))
	require.NoError(t, c.ClickButton("MGM_MinimapButton"))
	assert.True(t, c.Shown("MGM_Panel"))

	n = len(c.ChatLines())
	typeLine(t, c, "/mgm emit pigeon")
	assert.Contains(t, strings.Join(newLines(c, n), "\n"), "/mgm emit chatframe|whisper")
}

// TestTags_ExactFormats pins every tag the addon prints (golden file).
func TestTags_ExactFormats(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn", "Тралл")
	_, _, err := c.AddBagItem(wowclient.Item{ID: 44731, Name: "Bouquet of Ebon Roses", Quality: 3})
	require.NoError(t, err)

	typeLine(t, c, `/run MGM_Ping("selftest-42")`)
	runWho(t, c, spinID, "Тралл")
	c.Advance(time.Second)
	notify(t, c, payout1, "Norinn")
	require.NoError(t, c.Whisper("Norinn", "!twgold"))
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	typeLine(t, c, `/run MGM_RequestGiftItems("`+giftID+`")`)
	typeLine(t, c, `/run MGM_RequestGiftConfirmation("`+giftID+`","Тралл",44731)`)
	require.NoError(t, c.Whisper("Тралл", "!twgift"))
	prepareAndSend(t, c)

	golden(t, "tags", tagLines(c))
}

func TestRealTime_TypingFromOtherGoroutinesWhileTheClockRuns(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) {
		o.Start = time.Now()
		o.Location = time.Local
		o.WhoLatency = 20 * time.Millisecond
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.SetOnline("Norinn")
	c.Start(ctx)

	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				assert.NoError(t, c.Type(fmt.Sprintf(`/run MGM_Ping("g%d-%d")`, i, j)))
			}
		}(i)
	}
	wg.Go(func() { _ = c.Whisper("Norinn", "hello") })
	require.NoError(t, c.Type(`/run MGM_RunWhoForSpin("`+spinID+`","Norinn")`))
	wg.Wait()

	require.Eventually(t, func() bool {
		lines, err := c.LogLines()
		return err == nil && strings.Contains(strings.Join(lines, "\n"), `"online":true`)
	}, 5*time.Second, 20*time.Millisecond, "the /who answer arrives on the real clock")
	assert.Len(t, tagsWith(c, "[MGM_PONG:"), 20)
	require.NoError(t, c.Close())
	assert.ErrorIs(t, c.Type("/mgm"), wowclient.ErrClosed)
}

func TestClient_ReloadDropsTheServersMailAnswerButTheMailGoesOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fail string
	}{{"success", ""}, {"failure", "Internal mail database error."}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t)
			require.NoError(t, c.OpenMailbox())
			require.NoError(t, c.ClickButton("MailFrameTab2"))
			require.NoError(t, c.SetText("SendMailNameEditBox", "Norinn"))
			require.NoError(t, c.SetText("SendMailSubjectEditBox", "hi"))
			if tc.fail != "" {
				c.FailNextMail(tc.fail)
			}
			pressSend(t, c)
			require.NoError(t, c.Reload())
			require.NoError(t, c.Run(`MGMTestSeen = 0
				local f = CreateFrame("Frame")
				for _, ev in ipairs({ "MAIL_SEND_SUCCESS", "MAIL_FAILED", "UI_ERROR_MESSAGE" }) do f:RegisterEvent(ev) end
				f:SetScript("OnEvent", function() MGMTestSeen = MGMTestSeen + 1 end)`))
			c.Advance(time.Second)

			seen, err := c.Eval("MGMTestSeen")
			require.NoError(t, err)
			assert.Equal(t, float64(0), seen, "the answer belonged to the session before the /reload")
			if tc.fail == "" {
				assert.Len(t, c.SentMails(), 1, "the server sent the mail all the same")
			} else {
				assert.Empty(t, c.SentMails())
			}
		})
	}
}
