package e2e

import (
	"fmt"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/internal/loop"
	"github.com/mimiron/mgm/desktop/logtail"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/wowclient"
)

// The worst case of the chat log we can justify (pkg/wowclient/chatlog.go): a 4096-byte
// stdio buffer written in full chunks, never on a timer. Chunks end in the middle of
// lines and of Cyrillic letters; the Desktop's tailer must still read every line once,
// whole, and see every tag once.
func TestBridge_BufferedChatLogChunksAreReadWholeAndOnce(t *testing.T) {
	t.Parallel()
	game, err := wowclient.New(wowclient.Options{Dir: t.TempDir(), AddonDir: addonDir(t), LogBuffer: 4096})
	require.NoError(t, err)
	t.Cleanup(func() { game.Close() })
	tail := logtail.New(game.LogPath(), nil)
	defer tail.Close()
	_, err = tail.Poll() // the first run starts at the end of the file
	require.NoError(t, err)

	const n = 300
	pongs := map[string]int{}
	lines := 0
	poll := func() {
		b, err := tail.Poll()
		require.NoError(t, err)
		for _, l := range b.Lines {
			lines++
			require.True(t, utf8.ValidString(l.Text), "a whole line: %q", l.Text)
			if tl, err := tags.Read(l.Text); err == nil && tl.Tag.Kind == tags.Pong {
				pongs[tl.Tag.ID]++
			}
		}
	}
	for i := 0; i < n; i++ {
		// a Cyrillic line between the tags, so chunk ends fall inside letters too
		require.NoError(t, game.Run(fmt.Sprintf(`DEFAULT_CHAT_FRAME:AddMessage("Жёлтоглазка шепчет: привет %d")`, i)))
		require.NoError(t, game.Call("MGM_Ping", fmt.Sprintf("n%03d", i)))
		game.Advance(10 * time.Millisecond)
		poll()
	}
	assert.Positive(t, game.BufferedLogBytes(), "the end is still in the client's buffer")
	seen := len(pongs)
	assert.Less(t, seen, n, "a buffered log holds back the last tags")
	game.FlushLog()
	poll()
	require.Len(t, pongs, n)
	for id, k := range pongs {
		assert.Equal(t, 1, k, id)
	}
	assert.GreaterOrEqual(t, lines, 2*n)
}

func addonDir(t testing.TB) string {
	t.Helper()
	d, err := loop.AddonDir()
	require.NoError(t, err)
	return d
}
