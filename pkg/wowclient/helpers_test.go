package wowclient_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// t0 is the simulated login time; tests start one second later, when the addon has
// pinned its millisecond clock to the wall clock.
var t0 = time.Date(2026, 4, 4, 12, 0, 0, 0, time.UTC)

const (
	spinID   = "5f0c1a9e-2b7d-4c3e-9f10-000000000001"
	spinID2  = "5f0c1a9e-2b7d-4c3e-9f10-000000000002"
	payout1  = "7d9b2c4a-1e3f-4a5b-8c6d-000000000001"
	payout2  = "7d9b2c4a-1e3f-4a5b-8c6d-000000000002"
	payout3  = "7d9b2c4a-1e3f-4a5b-8c6d-000000000003"
	giftID   = "c3a1e5f7-9b2d-4f6a-8e0c-000000000001"
	goldText = "Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды - ответь на это сообщение одной фразой: !twgold"
	sentText = "Награда отправлена тебе на почту, проверяй ящик!"
	giftSent = "Подарок отправлен тебе на почту! Письмо с вещью идёт до часа - загляни в ящик чуть позже."
	gold1000 = 10_000_000
)

// addonDir is the real addon. testdata/MimironsGoldOMatic is a symlink to it: go test
// only re-checks files inside the module for its cache, so reading the addon through the
// link makes an edited addon re-run the tests. Without symlinks, the path outside is used.
// MGM_ADDON_DIR points the tests at another copy of the addon (to run them against an
// older version).
func addonDir(t testing.TB) string {
	if d := os.Getenv("MGM_ADDON_DIR"); d != "" {
		return d
	}
	dir := filepath.Join("testdata", "MimironsGoldOMatic")
	if fi, err := os.Stat(filepath.Join(dir, "MimironsGoldOMatic.toc")); err != nil || fi.IsDir() {
		dir = filepath.Join("..", "..", "addon", "MimironsGoldOMatic")
	}
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	return abs
}

func newClient(t testing.TB, mods ...func(*wowclient.Options)) *wowclient.Client {
	t.Helper()
	opts := wowclient.Options{Dir: t.TempDir(), AddonDir: addonDir(t), Start: t0, Location: time.UTC}
	for _, m := range mods {
		m(&opts)
	}
	c, err := wowclient.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.Empty(t, c.Errors(), "Lua errors")
		c.Close()
	})
	c.Advance(time.Second)
	return c
}

func typeLine(t testing.TB, c *wowclient.Client, line string) {
	t.Helper()
	require.NoError(t, c.Type(line))
}

// golden compares lines with testdata/golden/<name>.golden (go test -update rewrites).
func golden(t *testing.T, name string, lines []string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	assert.Equal(t, string(want), got)
}

// newLines returns what the chat frame showed after the first n lines.
func newLines(c *wowclient.Client, n int) []string {
	return c.ChatLines()[n:]
}

func tagsWith(c *wowclient.Client, prefix string) []string {
	var out []string
	for _, l := range c.TagLines() {
		if strings.Contains(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// pressSend clicks the mailbox's Send button and, when it asks to confirm the money
// (the SEND_MONEY popup), Accept — what the streamer does.
func pressSend(t testing.TB, c *wowclient.Client) {
	t.Helper()
	require.NoError(t, c.PressSend())
}

// tagLines are the chat lines holding an MGM tag, but for the [MGM_BYE] a session ends
// with (the tests that care about it look for it themselves).
func tagLines(c *wowclient.Client) []string {
	var out []string
	for _, l := range c.TagLines() {
		if !strings.HasPrefix(l, "[MGM_BYE:") {
			out = append(out, l)
		}
	}
	return out
}
