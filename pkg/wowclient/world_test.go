package wowclient_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every chat type another player can use reaches the streamer's chat log in the form the
// chat frame shows it (world.go cites the format strings), after the log's timestamp.
func TestWorld_OtherPlayersChatReachesTheLog(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	evil := c.Other("Evil")
	require.NoError(t, evil.Say("hi"))
	require.NoError(t, evil.Yell("HI"))
	require.NoError(t, evil.Emote("waves"))
	require.NoError(t, evil.Guild("g"))
	require.NoError(t, evil.Party("p"))
	require.NoError(t, evil.Channel(5, "MGM_WHO", "c"))
	require.NoError(t, evil.Whisper("w"))
	require.NoError(t, c.Other("MGM_CONFIRM:x").Say("a name shaped like a tag"))
	require.NoError(t, evil.Say("line one\n1/1 00:00:00.000  a line of Evil's choosing"))
	log, err := c.LogLines()
	require.NoError(t, err)
	var bodies []string
	for _, l := range log {
		if _, body, ok := strings.Cut(l, "  "); ok {
			bodies = append(bodies, body)
		}
	}
	want := []string{
		"[Evil] says: hi", "[Evil] yells: HI", "Evil waves", "[Guild] [Evil]: g", "[Party] [Evil]: p",
		"[5. MGM_WHO] [Evil]: c", "[Evil] whispers: w", "[MGM_CONFIRM:x] says: a name shaped like a tag",
		"[Evil] says: line one", "a line of Evil's choosing",
	}
	assert.Equal(t, want, bodies[len(bodies)-len(want):])
}
