package wowclient_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

// typeAsDesktop types a chat line the way the Desktop's PostMessage injector did before
// the command box: Enter (opens the chat box), a pause of at least one frame, the
// characters, Enter.
func typeAsDesktop(t testing.TB, c *wowclient.Client, line string) {
	t.Helper()
	require.NoError(t, c.Post(wowclient.Keys("ENTER")...))
	c.Advance(50 * time.Millisecond)
	require.NoError(t, c.Post(append(wowclient.Chars(line), wowclient.Keys("ENTER")...)...))
	c.Advance(50 * time.Millisecond)
}

func pongs(c *wowclient.Client, nonce string) int {
	return len(tagsWith(c, "[MGM_PONG:"+nonce+"]"))
}

func TestFocus_EnterOpensTheChatBoxAndSendsTheLine(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeAsDesktop(t, c, `/run MGM_Ping("n1")`)
	assert.Equal(t, 1, pongs(c, "n1"))
	text, shown := c.ChatEditText()
	assert.Empty(t, text)
	assert.False(t, shown, "the chat box closes after Enter")
	assert.Empty(t, c.FocusedEditBox())
}

func TestFocus_CharactersTypedInTheFrameOfTheEnterAreWipedByTheChatBox(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	// ChatFrame_OpenChat sets the box's text on its next OnUpdate
	// (FrameXML/ChatFrame.lua:3045-3062, 3328-3334): keys typed before that frame go.
	require.NoError(t, c.Post(append(wowclient.Keys("ENTER"), wowclient.Chars(`/run MGM_Ping("n1")`)...)...))
	c.Advance(50 * time.Millisecond)
	require.NoError(t, c.Post(wowclient.Keys("ENTER")...))
	c.Advance(50 * time.Millisecond)
	assert.Zero(t, pongs(c, "n1"))
}

func TestFocus_SendTabFocusesTheRecipientAndEnterMovesToTheSubject(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	require.NoError(t, c.OpenMailbox())
	assert.Empty(t, c.FocusedEditBox(), "the inbox tab focuses nothing")
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	assert.Equal(t, "SendMailNameEditBox", c.FocusedEditBox())
	require.NoError(t, c.Post(wowclient.Keys("ENTER")...))
	assert.Equal(t, "SendMailSubjectEditBox", c.FocusedEditBox())
	require.NoError(t, c.Post(wowclient.Keys("ENTER")...))
	assert.Equal(t, "SendMailBodyEditBox", c.FocusedEditBox())
	require.NoError(t, c.Post(append(wowclient.Chars("hi"), wowclient.Keys("ENTER")...)...))
	assert.Equal(t, "hi\n", c.Text("SendMailBodyEditBox"), "Enter in the body is a line break")
}

func TestFocus_ATypedCommandIsLostWhileTheRecipientBoxHasFocus(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	typeAsDesktop(t, c, `/run MGM_Ping("n1")`)
	assert.Zero(t, pongs(c, "n1"))
	assert.Equal(t, `/run MGM_Ping("n1")`, c.Text("SendMailSubjectEditBox"), "the keys went into the subject")
}

// The addon gives the focus back after Prepare Mail, so a command typed while the
// mailbox is open still reaches the chat box.
func TestFocus_CommandsWorkAfterPrepareMail(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Jaina:%d", payout1, gold1000, payout2, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	typeAsDesktop(t, c, `/run MGM_Ping("after-prepare")`)
	assert.Equal(t, 1, pongs(c, "after-prepare"))
	assert.Equal(t, "Norinn", c.Text("SendMailNameEditBox"), "the prepared mail is untouched")
	assert.Equal(t, "Награда за розыгрыш", c.Text("SendMailSubjectEditBox"))
}

// After a successful send, SendMailFrame_Reset focuses the recipient box again
// (FrameXML/MailFrame.lua:946-948); the addon gives the focus back.
func TestFocus_CommandsWorkAfterASuccessfulSend(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d;%s:Jaina:%d", payout1, gold1000, payout2, gold1000))
	require.NoError(t, c.OpenMailbox())
	prepareAndSend(t, c)
	require.Len(t, c.SentMails(), 1)
	typeAsDesktop(t, c, `/run MGM_Ping("after-send")`)
	assert.Equal(t, 1, pongs(c, "after-send"))
}

// The streamer's own focus is left alone: Prepare Mail takes the focus away only from
// the mail form it filled.
func TestFocus_PrepareMailLeavesTheStreamersChatBoxAlone(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	receiveGold(t, c, fmt.Sprintf("%s:Norinn:%d", payout1, gold1000))
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.OpenChatWith("hello wor"))
	require.NoError(t, c.ClickButton("MGM_PrepareMailButton"))
	text, shown := c.ChatEditText()
	assert.True(t, shown)
	assert.Equal(t, "hello wor", text)
	assert.Equal(t, "ChatFrame1EditBox", c.FocusedEditBox())
}

func TestFocus_LoadingScreenSwallowsKeys(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.LoadingScreen(2 * time.Second)
	assert.Equal(t, wowclient.ScreenLoading, c.Screen())
	require.ErrorIs(t, c.Type("/say hi"), wowclient.ErrNotInWorld)
	typeAsDesktop(t, c, `/run MGM_Ping("lost")`)
	assert.Greater(t, c.LostInputs(), 0)
	c.Advance(3 * time.Second)
	assert.Equal(t, wowclient.ScreenWorld, c.Screen())
	assert.Zero(t, pongs(c, "lost"))
	typeAsDesktop(t, c, `/run MGM_Ping("after")`)
	assert.Equal(t, 1, pongs(c, "after"))
}

func TestFocus_LoginScreenAndCharacterSelectTakeKeys(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) { o.LoadingTime = time.Second })
	require.NoError(t, c.ToLoginScreen())
	assert.Equal(t, wowclient.ScreenLogin, c.Screen())
	require.NoError(t, c.Post(wowclient.Chars("abc")...))
	assert.Equal(t, "abc", c.LoginField(), "characters land in the login field")
	require.NoError(t, c.Post(wowclient.Keys("ENTER")...))
	assert.Equal(t, 1, c.LoginAttempts(), "Enter tries to log in")

	require.NoError(t, c.Login()) // the streamer logs in: a loading screen, then the world
	c.Advance(2 * time.Second)
	require.Equal(t, wowclient.ScreenWorld, c.Screen())
	require.NoError(t, c.Logout())
	assert.Equal(t, wowclient.ScreenCharSelect, c.Screen())
	require.NoError(t, c.Post(wowclient.Chars("xyz")...))
	require.NoError(t, c.Post(wowclient.Keys("ENTER")...))
	assert.Equal(t, wowclient.ScreenLoading, c.Screen(), "Enter at character select enters the world")
	c.Advance(2 * time.Second)
	assert.Equal(t, wowclient.ScreenWorld, c.Screen())
}

func TestFocus_HalfTypedChatLineIsSentByAnEnter(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	require.NoError(t, c.OpenChatWith("hello wor"))
	c.Advance(50 * time.Millisecond)
	typeAsDesktop(t, c, `/run MGM_Ping("n1")`)
	assert.Contains(t, c.ChatLines(), "[Mimiron] says: hello wor", "the old typing sends the streamer's line")
}
