package wowclient_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

func notify(t *testing.T, c *wowclient.Client, payout, name string) {
	t.Helper()
	typeLine(t, c, `/run NotifyWinnerWhisper("`+payout+`","`+name+`")`)
}

func TestConsent_WinnerGetsTheExactWhisper(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Норинн")
	notify(t, c, payout1, "Норинн")

	ws := c.SentWhispers()
	require.Len(t, ws, 1)
	assert.Equal(t, "Норинн", ws[0].To)
	assert.Equal(t, goldText, ws[0].Text)
	assert.True(t, ws[0].Delivered)
}

func TestConsent_ReplyFromTheWinnerEmitsAccept(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Норинн")
	notify(t, c, payout1, "Норинн")
	require.NoError(t, c.Whisper("нОРИНН", "  !TwGold  "))

	golden(t, "accept", tagLines(c))
}

func TestConsent_ReplyFromAnyoneElseChangesNothing(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	notify(t, c, payout1, "Norinn")
	require.NoError(t, c.Whisper("Arthas", "!twgold"))
	require.NoError(t, c.Whisper("Norinna", "!twgold"))
	require.NoError(t, c.Whisper("Norinn", "!twgold please"))
	require.NoError(t, c.Whisper("Norinn", "!twgift"))
	assert.Empty(t, tagLines(c))

	require.NoError(t, c.Whisper("Norinn", "!twgold"))
	assert.Equal(t, []string{"[MGM_ACCEPT:" + payout1 + "]"}, tagLines(c), "the pending acceptance is still there")
}

func TestConsent_SeveralWinnersAtOnce(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	notify(t, c, payout1, "Norinn")
	notify(t, c, payout2, "Jaina")
	notify(t, c, payout3, "Тралл")
	require.NoError(t, c.Whisper("Тралл", "!twgold"))
	require.NoError(t, c.Whisper("Norinn", "!twgold"))
	require.NoError(t, c.Whisper("Jaina", "!TWGOLD"))

	assert.Equal(t, []string{
		"[MGM_ACCEPT:" + payout3 + "]",
		"[MGM_ACCEPT:" + payout1 + "]",
		"[MGM_ACCEPT:" + payout2 + "]",
	}, tagLines(c))
}

func TestConsent_SameWinnerWithTwoPayoutsAcceptsBothOldestFirst(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	notify(t, c, payout2, "Norinn")
	notify(t, c, payout1, "Norinn")
	require.NoError(t, c.Whisper("Norinn", "!twgold"))

	assert.Equal(t, []string{"[MGM_ACCEPT:" + payout2 + "]", "[MGM_ACCEPT:" + payout1 + "]"}, tagLines(c))
}

func TestConsent_PendingAcceptancesSurviveReload(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	notify(t, c, payout1, "Norinn")
	notify(t, c, payout2, "Jaina")
	typeLine(t, c, "/reload")
	require.FileExists(t, c.SavedVariablesPath())

	require.NoError(t, c.Whisper("Jaina", "!twgold"))
	require.NoError(t, c.Whisper("Norinn", "!twgold"))
	assert.Equal(t, []string{"[MGM_ACCEPT:" + payout2 + "]", "[MGM_ACCEPT:" + payout1 + "]"}, tagLines(c))
}

func TestConsent_PendingAcceptancesSurviveLogout(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	notify(t, c, payout1, "Norinn")
	require.NoError(t, c.Logout())
	sv, err := os.ReadFile(c.SavedVariablesPath())
	require.NoError(t, err)
	assert.Contains(t, string(sv), payout1)
	require.NoError(t, c.Login())

	require.NoError(t, c.Whisper("Norinn", "!twgold"))
	assert.Equal(t, []string{"[MGM_ACCEPT:" + payout1 + "]"}, tagLines(c))
}

func TestConsent_RepeatedReplyEmitsAgainUntilTheMailIsSent(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	notify(t, c, payout1, "Norinn")
	require.NoError(t, c.Whisper("Norinn", "!twgold"))
	require.NoError(t, c.Whisper("Norinn", "!twgold"))
	assert.Len(t, tagLines(c), 2)
}
