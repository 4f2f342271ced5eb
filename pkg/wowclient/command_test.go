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

// escapeASCII writes s as a Lua string body the Desktop can type on any code page:
// ASCII stays, every other byte is \ddd.
func escapeASCII(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch < 0x20 || ch >= 0x7f || ch == '`' || ch == '|':
			fmt.Fprintf(&b, `\%03d`, ch)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// commandInputs is what the Desktop posts for one command: the command key, then the
// characters of "`MGM`<id> <call>`".
func commandInputs(id, call string) []wowclient.Input {
	return append(wowclient.Keys("SCROLLLOCK"), wowclient.Chars("`MGM`"+id+" "+call+"`")...)
}

func typeCommand(t testing.TB, c *wowclient.Client, id, call string) {
	t.Helper()
	require.NoError(t, c.Post(commandInputs(id, call)...))
	c.Advance(50 * time.Millisecond)
}

func acks(c *wowclient.Client, id string) int { return len(tagsWith(c, "[MGM_ACK:"+id+"]")) }

func TestCommand_TheCommandKeyOpensAPrivateBoxThatRunsAndAcknowledges(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeCommand(t, c, "c1", `MGM_Ping("x1")`)
	assert.Equal(t, 1, pongs(c, "x1"))
	assert.Equal(t, 1, acks(c, "c1"))
	assert.Empty(t, c.FocusedEditBox(), "the box closes and leaves no focus")
	_, shown := c.ChatEditText()
	assert.False(t, shown, "the chat box is never opened")
	assert.False(t, c.Shown("MGM_CommandBox"))
}

func TestCommand_RepeatIsAcknowledgedButNotRunTwice(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	call := `NotifyWinnerWhisper("` + payout1 + `","Norinn")`
	typeCommand(t, c, "n1", call)
	typeCommand(t, c, "n1", call)
	c.Advance(3 * time.Second)
	assert.Equal(t, 2, acks(c, "n1"))
	assert.Len(t, c.SentWhispers(), 1, "the winner is whispered once")
	require.NoError(t, c.Reload())
	c.Advance(time.Second)
	typeCommand(t, c, "n1", call)
	c.Advance(3 * time.Second)
	assert.Len(t, c.SentWhispers(), 1, "the command ids survive a /reload")
}

// The streamer is typing in the chat box: the command is taken out of it, runs, and the
// chat box comes back with their line as it was; nothing is sent.
func TestCommand_HalfTypedChatLineIsNeitherSentNorDestroyed(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	require.NoError(t, c.OpenChatWith("hello wor"))
	n := len(c.ChatLines())
	typeCommand(t, c, "c2", `MGM_Ping("x2")`)
	assert.Equal(t, 1, acks(c, "c2"))
	text, shown := c.ChatEditText()
	assert.True(t, shown)
	assert.Equal(t, "hello wor", text)
	assert.Equal(t, "ChatFrame1EditBox", c.FocusedEditBox())
	for _, l := range newLines(c, n) {
		assert.NotContains(t, l, "says:", "nothing was said")
	}
	// the streamer finishes their line
	require.NoError(t, c.Post(append(wowclient.Chars("ld"), wowclient.Keys("ENTER")...)...))
	assert.Contains(t, c.ChatLines(), "[Mimiron] says: hello world")
}

// The mail form has the focus (the Send tab focuses the recipient): the command is
// taken out of it and the focus goes back with the streamer's text.
func TestCommand_MailFormFocusIsTakenAndGivenBack(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	require.NoError(t, c.OpenMailbox())
	require.NoError(t, c.ClickButton("MailFrameTab2"))
	require.NoError(t, c.Post(wowclient.Chars("Nor")...))
	typeCommand(t, c, "c3", `MGM_Ping("x3")`)
	assert.Equal(t, 1, acks(c, "c3"))
	assert.Equal(t, "Nor", c.Text("SendMailNameEditBox"))
	assert.Equal(t, "SendMailNameEditBox", c.FocusedEditBox())
	require.NoError(t, c.Post(wowclient.Chars("inn")...))
	assert.Equal(t, "Norinn", c.Text("SendMailNameEditBox"), "the cursor is where it was")
}

// A box the addon never saw has the focus for a frame: it is watched from then on.
func TestCommand_AnyFocusedEditBoxIsWatched(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	require.NoError(t, c.Run(`local b = CreateFrame("EditBox", "OtherAddonBox", UIParent) b:SetAutoFocus(false) b:SetFocus() b:SetText("note")`))
	c.Advance(50 * time.Millisecond)
	typeCommand(t, c, "c4", `MGM_Ping("x4")`)
	assert.Equal(t, 1, acks(c, "c4"))
	assert.Equal(t, "note", c.Text("OtherAddonBox"))
	assert.Equal(t, "OtherAddonBox", c.FocusedEditBox())
}

func TestCommand_ProbeKeyAnswersAPongAndDoesNothingElse(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) { o.LoadingTime = time.Second })
	require.NoError(t, c.Post(wowclient.Keys("PAUSE")...))
	require.NoError(t, c.Post(wowclient.Keys("PAUSE")...))
	ps := tagsWith(c, "[MGM_PONG:")
	require.Len(t, ps, 2)
	assert.NotEqual(t, ps[0], ps[1], "each pong is numbered")
	assert.Empty(t, c.FocusedEditBox())

	// on the login screen the key changes nothing
	require.NoError(t, c.ToLoginScreen())
	require.NoError(t, c.Post(wowclient.Keys("PAUSE")...))
	assert.Empty(t, c.LoginField())
	assert.Zero(t, c.LoginAttempts())
}

func TestCommand_SessionEndIsAnnounced(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	require.NoError(t, c.Post(wowclient.Keys("PAUSE")...))
	pong := tagsWith(c, "[MGM_PONG:")[0]
	session := pong[strings.Index(pong, ":")+1 : strings.LastIndex(pong, "-")]
	require.NoError(t, c.Reload())
	assert.Len(t, tagsWith(c, "[MGM_BYE:"+session+"]"), 1)
	require.NoError(t, c.Post(wowclient.Keys("PAUSE")...))
	ps := tagsWith(c, "[MGM_PONG:")
	assert.NotContains(t, ps[len(ps)-1], session, "a new session after the reload")
}

// Cyrillic typed as WM_CHAR arrives as '?' on a Windows whose ANSI code page is not
// 1251; typed as \ddd escapes it survives every code page.
func TestCommand_CyrillicSurvivesAnyCodePageAsEscapes(t *testing.T) {
	t.Parallel()
	for _, cp := range []int{1252, 1251, 1250} {
		t.Run(fmt.Sprint(cp), func(t *testing.T) {
			t.Parallel()
			c := newClient(t, func(o *wowclient.Options) { o.CodePage = cp })
			c.SetOnline("Норинн")
			typeCommand(t, c, "w1", `NotifyWinnerWhisper("`+payout1+`","`+escapeASCII("Норинн")+`")`)
			c.Advance(2 * time.Second)
			require.Equal(t, 1, acks(c, "w1"))
			ws := c.SentWhispers()
			require.Len(t, ws, 1)
			assert.Equal(t, "Норинн", ws[0].To)

			typeCommand(t, c, "w2", `NotifyWinnerWhisper("`+payout2+`","Норинн")`)
			c.Advance(2 * time.Second)
			if cp == 1251 {
				assert.Len(t, c.SentWhispers(), 2, "raw Cyrillic only works on 1251")
			} else {
				assert.Len(t, c.SentWhispers(), 1, "raw Cyrillic arrives as '?' and the name is refused")
			}
		})
	}
}

// In combat the bindings cannot be set; the addon sets them when combat ends.
func TestCommand_BindingsSetInCombatWaitForCombatToEnd(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetCombat(true)
	require.NoError(t, c.Reload())
	typeCommand(t, c, "c5", `MGM_Ping("x5")`)
	assert.Zero(t, acks(c, "c5"), "no binding yet: the keys go nowhere")
	c.SetCombat(false)
	typeCommand(t, c, "c5", `MGM_Ping("x5")`)
	assert.Equal(t, 1, acks(c, "c5"))
}

// A loading screen swallows the command; typed again later, it runs once.
func TestCommand_LostToALoadingScreenAndTypedAgain(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.LoadingScreen(2 * time.Second)
	typeCommand(t, c, "c6", `MGM_Ping("x6")`)
	assert.Zero(t, acks(c, "c6"))
	c.Advance(3 * time.Second)
	typeCommand(t, c, "c6", `MGM_Ping("x6")`)
	assert.Equal(t, 1, acks(c, "c6"))
	assert.Equal(t, 1, pongs(c, "x6"))
}

func TestCommand_UnknownFunctionsAndBadArgumentsAreRefused(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	for i, call := range []string{`ReloadUI()`, `MGM_Ping("a" .. "b")`, `MGM_Ping(x)`, `MGM_Ping("\999")`, `MGM_Ping("a",)`} {
		typeCommand(t, c, fmt.Sprintf("bad%d", i), call)
	}
	assert.Empty(t, tagsWith(c, "[MGM_PONG:"))
	assert.Equal(t, wowclient.ScreenWorld, c.Screen(), "no reload happened")
}
