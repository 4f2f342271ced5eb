package wowclient_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

func TestFlood_TenMessagesInASecondMuteForTenSeconds(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	for i := 0; i < 12; i++ {
		typeLine(t, c, fmt.Sprintf("/w Norinn line %d", i))
	}
	ws := c.SentWhispers()
	assert.Len(t, ws, 9, "the tenth is counted first, mutes and is dropped itself; so are the rest")
	assert.True(t, c.Muted())
	assert.Equal(t, 3, c.DroppedMessages())
	require.NotEmpty(t, c.Notifications())
	c.Advance(11 * time.Second)
	assert.False(t, c.Muted())
	typeLine(t, c, "/w Norinn back")
	assert.Len(t, c.SentWhispers(), 10)
}

// AzerothCore counts a message before it checks the mute (flood.go): a sender who keeps
// flooding while muted is muted again from the tenth such message on.
func TestFlood_FloodingWhileMutedExtendsTheMute(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	for i := 0; i < 10; i++ {
		typeLine(t, c, fmt.Sprintf("/w Norinn line %d", i))
	}
	require.True(t, c.Muted())
	c.Advance(8 * time.Second) // two seconds of the mute left
	for i := 0; i < 10; i++ {
		typeLine(t, c, fmt.Sprintf("/w Norinn again %d", i))
	}
	c.Advance(5 * time.Second) // the first mute is over; the second is not
	assert.True(t, c.Muted(), "muted again while muted")
	typeLine(t, c, "/w Norinn still muted")
	assert.Len(t, c.SentWhispers(), 9)
	c.Advance(6 * time.Second)
	assert.False(t, c.Muted())
	typeLine(t, c, "/w Norinn back")
	assert.Len(t, c.SentWhispers(), 10)
}

func TestFlood_OneMessageASecondNeverMutes(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	for i := 0; i < 30; i++ {
		typeLine(t, c, fmt.Sprintf("/w Norinn line %d", i))
		c.Advance(time.Second)
	}
	assert.Len(t, c.SentWhispers(), 30)
	assert.Zero(t, c.DroppedMessages())
}

// A gift list that needs many lines, sent as whispers to oneself (emit mode whisper),
// must not get the streamer muted: every part arrives.
func TestFlood_LongGiftListInWhisperModeIsPacedUnderTheFloodRule(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeLine(t, c, "/mgm emit whisper")
	var want int
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("Рунический свиток номер %d", i)
		_, _, err := c.AddBagItem(wowclient.Item{ID: 20000 + i, Name: name, Quality: 2, Count: 1})
		require.NoError(t, err)
		want++
	}
	typeLine(t, c, `/run MGM_RequestGiftItems("`+giftID+`")`)
	c.Advance(60 * time.Second)

	var parts []string
	for _, w := range c.SentWhispers() {
		if strings.HasPrefix(w.Text, "[MGM_ITEMS:") {
			parts = append(parts, w.Text)
		}
	}
	require.NotEmpty(t, parts)
	m := itemsTagRe.FindStringSubmatch(parts[0])
	require.NotNil(t, m)
	total, _ := strconv.Atoi(m[3])
	require.Greater(t, total, 10, "the list needs more lines than the flood limit")
	assert.Zero(t, c.DroppedMessages(), "nothing refused")
	assert.Len(t, parts, total)
	assert.False(t, c.Muted())
	assert.Len(t, reassembleItems(t, parts, giftID), want)
}

// Twelve winners notified at once: twelve consent whispers, paced.
func TestFlood_ManyConsentWhispersArePaced(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	names := []string{"Aaron", "Bella", "Cyrus", "Dorian", "Elwin", "Fiona", "Gorim", "Helga", "Ivor", "Jorah", "Kira", "Lorn"}
	c.SetOnline(names...)
	for i, n := range names {
		typeLine(t, c, fmt.Sprintf(`/run NotifyWinnerWhisper("7d9b2c4a-1e3f-4a5b-8c6d-%012d","%s")`, i, n))
	}
	c.Advance(30 * time.Second)
	got := map[string]bool{}
	for _, w := range c.SentWhispers() {
		if w.Text == goldText {
			got[w.To] = true
		}
	}
	assert.Len(t, got, len(names))
	assert.Zero(t, c.DroppedMessages())
}

// The streamer got themself muted; the consent whisper queued meanwhile is dropped by the
// server without a word, so the addon sends it again once the mute is over.
func TestFlood_WhisperDroppedByAMuteIsSentAgain(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	for i := 0; i < 10; i++ {
		typeLine(t, c, fmt.Sprintf("spam %d", i))
	}
	require.True(t, c.Muted())
	notify(t, c, payout1, "Norinn")
	c.Advance(5 * time.Second)
	assert.Empty(t, c.SentWhispers(), "dropped while muted")
	assert.Positive(t, c.DroppedMessages())
	c.Advance(15 * time.Second)
	ws := c.SentWhispers()
	require.Len(t, ws, 1)
	assert.Equal(t, goldText, ws[0].Text)
}
