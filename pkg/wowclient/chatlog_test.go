package wowclient_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

func logFile(t *testing.T, c *wowclient.Client) string {
	t.Helper()
	b, err := os.ReadFile(c.LogPath())
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	require.NoError(t, err)
	return string(b)
}

func sayToLog(t *testing.T, c *wowclient.Client, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		require.NoError(t, c.Run(fmt.Sprintf(`DEFAULT_CHAT_FRAME:AddMessage("Жёлтоглазка шепчет: строка %d")`, i)))
	}
}

// A buffered chat log (chatlog.go) reaches the file only in whole chunks of LogBuffer
// bytes, which end inside lines and letters; what is left waits until a flush.
func TestChatLog_BufferedLinesReachTheFileInWholeChunks(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) { o.LogBuffer = 64 })
	sayToLog(t, c, 20)
	got := logFile(t, c)
	require.NotEmpty(t, got)
	assert.Zero(t, len(got)%64, "only whole chunks are written")
	assert.Positive(t, c.BufferedLogBytes())
	assert.Less(t, c.BufferedLogBytes(), 64)
	c.FlushLog()
	got = logFile(t, c)
	assert.True(t, strings.HasSuffix(got, "строка 19\n"), "the flush writes the rest")
	assert.Zero(t, c.BufferedLogBytes())
}

// Whether LoggingChat(false) flushes the file is unknown (chatlog.go): by default it
// does not, so nothing may rely on it; Options.LogFlushOnToggle models a client that does.
func TestChatLog_TogglingLoggingChatFlushesOnlyWhenTheOptionSaysSo(t *testing.T) {
	t.Parallel()
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flushOnToggle=", flush), func(t *testing.T) {
			t.Parallel()
			c := newClient(t, func(o *wowclient.Options) { o.LogBuffer = 4096; o.LogFlushOnToggle = flush })
			sayToLog(t, c, 5)
			before := logFile(t, c)
			require.Positive(t, c.BufferedLogBytes())
			require.NoError(t, c.Run(`LoggingChat(false) LoggingChat(true)`))
			if flush {
				assert.Zero(t, c.BufferedLogBytes())
				assert.True(t, strings.HasSuffix(logFile(t, c), "строка 4\n"))
			} else {
				assert.Positive(t, c.BufferedLogBytes(), "toggling did not flush")
				assert.Equal(t, before, logFile(t, c))
			}
		})
	}
}

// Options.LogFlushEvery: a client that flushes on a timer; without it (the default, the
// worst case) a quiet session leaves the last lines in the buffer however long it waits.
func TestChatLog_TimedFlush(t *testing.T) {
	t.Parallel()
	quiet := newClient(t, func(o *wowclient.Options) { o.LogBuffer = 4096 })
	timed := newClient(t, func(o *wowclient.Options) { o.LogBuffer = 4096; o.LogFlushEvery = time.Second })
	for _, c := range []*wowclient.Client{quiet, timed} {
		sayToLog(t, c, 3)
		c.Advance(2 * time.Second)
	}
	assert.Positive(t, quiet.BufferedLogBytes(), "no timer: still buffered")
	assert.NotContains(t, logFile(t, quiet), "строка 2")
	assert.Zero(t, timed.BufferedLogBytes())
	assert.Contains(t, logFile(t, timed), "строка 2\n")
}
