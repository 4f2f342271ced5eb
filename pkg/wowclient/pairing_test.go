package wowclient_test

import (
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/tagsig"
	"github.com/mimiron/mgm/pkg/wowclient"
)

var pairRe = regexp.MustCompile(`\[MGM_PAIR:([^\]]+)\]\{"pub":"([0-9a-f]{64})"\}\[MGM_SIG:`)

// pair runs the Desktop's half of a pairing against the addon and returns the key.
func pair(t *testing.T, c *wowclient.Client, nonce string) tagsig.Key {
	t.Helper()
	p, err := tagsig.NewPairing(nonce)
	require.NoError(t, err)
	n := len(c.ChatLines())
	typeLine(t, c, `/run MGM_Pair("`+nonce+`","`+p.Public()+`")`)
	var line string
	for i := 0; i < 200 && line == ""; i++ {
		c.Advance(50 * time.Millisecond)
		for _, l := range newLines(c, n) {
			if m := pairRe.FindStringSubmatch(l); m != nil && m[1] == nonce {
				line = l
			}
		}
	}
	require.NotEmpty(t, line, "no [MGM_PAIR] after 10 s: %v", newLines(c, n))
	m := pairRe.FindStringSubmatch(line)
	key, err := p.Finish(m[2])
	require.NoError(t, err)
	tag, id, mac, ok := tagsig.Split(line[strings.Index(line, "[MGM_PAIR:"):])
	require.True(t, ok, line)
	assert.Equal(t, key.ID, id)
	assert.True(t, key.Verify(tag, mac), "the pairing reply is signed with the new key")
	return key
}

// verified returns the tag lines signed with key, signature cut off, and fails on any
// tag line that is not.
func verified(t *testing.T, key tagsig.Key, lines []string) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		i := strings.Index(l, "[MGM_")
		if i < 0 {
			continue
		}
		tag, id, mac, ok := tagsig.Split(l[i:])
		require.True(t, ok, "unsigned tag line %q", l)
		require.Equal(t, key.ID, id, l)
		require.True(t, key.Verify(tag, mac), "bad signature on %q", l)
		out = append(out, tag)
	}
	return out
}

func TestPairing_AgreesOnAKeyThatSignsEveryTag(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	key := pair(t, c, "pair-1")
	n := len(c.ChatLines())
	typeLine(t, c, `/run MGM_Ping("p1")`)
	c.SetOnline("Норинн")
	notify(t, c, payout1, "Норинн")
	require.NoError(t, c.Whisper("Норинн", "!twgold"))
	assert.Equal(t, []string{"[MGM_PONG:p1]", "[MGM_ACCEPT:" + payout1 + "]"}, verified(t, key, newLines(c, n)))

	// The key survives /reload; nothing secret is ever printed, logged or saved in the clear
	// elsewhere than the addon's SavedVariables.
	require.NoError(t, c.Reload())
	n = len(c.ChatLines())
	typeLine(t, c, `/run MGM_Ping("p2")`)
	assert.Equal(t, []string{"[MGM_PONG:p2]"}, verified(t, key, newLines(c, n)))
	secret := hex.EncodeToString(key.Secret())
	sv, err := os.ReadFile(c.SavedVariablesPath())
	require.NoError(t, err)
	assert.Contains(t, string(sv), secret, "the key is kept in SavedVariables")
	log, err := os.ReadFile(c.LogPath())
	require.NoError(t, err)
	assert.NotContains(t, string(log), secret)
	assert.NotContains(t, strings.Join(c.ChatLines(), "\n"), secret)
	n = len(c.ChatLines())
	typeLine(t, c, "/mgm status")
	assert.Contains(t, strings.Join(newLines(c, n), "\n"), "Desktop: paired (key "+key.ID+")")
}

func TestPairing_UnpairedTagsGoOutUnsignedAndAgainSignedOncePaired(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Норинн")
	notify(t, c, payout1, "Норинн")
	require.NoError(t, c.Whisper("Норинн", "!twgold"))
	typeLine(t, c, `/run MGM_Ping("p0")`)
	assert.Equal(t, []string{"[MGM_ACCEPT:" + payout1 + "]", "[MGM_PONG:p0]"}, c.TagLines(), "unsigned, as before pairing")
	require.NoError(t, c.Reload()) // the kept report survives a reload
	n := len(c.ChatLines())
	typeLine(t, c, "/mgm status")
	assert.Contains(t, strings.Join(newLines(c, n), "\n"), "Desktop: NOT paired (1 report(s) waiting")

	n = len(c.ChatLines())
	key := pair(t, c, "pair-2")
	got := verified(t, key, newLines(c, n))
	require.Len(t, got, 2)
	assert.Equal(t, "[MGM_ACCEPT:"+payout1+"]", got[1], "the kept report, now signed; the pong is not kept")
}

func TestPairing_AgainReplacesTheKeyAndUnpairForgetsIt(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(o *wowclient.Options) { o.BitUnsigned = true })
	first := pair(t, c, "a")
	second := pair(t, c, "b")
	assert.NotEqual(t, first.ID, second.ID)
	n := len(c.ChatLines())
	typeLine(t, c, `/run MGM_Ping("p")`)
	assert.Equal(t, []string{"[MGM_PONG:p]"}, verified(t, second, newLines(c, n)))

	typeLine(t, c, "/mgm unpair")
	n = len(c.ChatLines())
	typeLine(t, c, `/run MGM_Ping("q")`)
	assert.Equal(t, []string{"[MGM_PONG:q]"}, tagsWith(c, "[MGM_PONG:q]"))
	assert.NotContains(t, strings.Join(newLines(c, n), "\n"), "[MGM_SIG:")
}

func TestPairing_WhisperModeSignsTheWhisperToOneself(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	typeLine(t, c, "/mgm emit whisper")
	key := pair(t, c, "w")
	n := len(c.ChatLines())
	typeLine(t, c, `/run MGM_Ping("p")`)
	c.Advance(3 * time.Second) // whispers leave through the addon's paced queue (Chat.lua)
	lines := newLines(c, n)
	assert.Equal(t, []string{"[MGM_PONG:p]", "[MGM_PONG:p]"}, verified(t, key, lines), "sent and received copy")
	ws := c.SentWhispers()
	assert.True(t, strings.HasPrefix(ws[len(ws)-1].Text, "[MGM_PONG:p][MGM_SIG:"+key.ID+":"))
}

func TestPairing_RefusesBadInputWithoutTouchingTheKey(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	key := pair(t, c, "k")
	for _, call := range []string{
		`/run MGM_Pair("bad nonce","` + strings.Repeat("ab", 32) + `")`,
		`/run MGM_Pair("n","` + strings.Repeat("AB", 32) + `")`,
		`/run MGM_Pair("n","abc")`,
		`/run MGM_Pair()`,
	} {
		typeLine(t, c, call)
	}
	c.Advance(3 * time.Second)
	n := len(c.ChatLines())
	typeLine(t, c, `/run MGM_Ping("p")`)
	assert.Equal(t, []string{"[MGM_PONG:p]"}, verified(t, key, newLines(c, n)))
	// A low-order point (u = 0) gives an all-zero secret: refused, the key stays.
	typeLine(t, c, `/run MGM_Pair("z","`+strings.Repeat("00", 32)+`")`)
	c.Advance(5 * time.Second)
	assert.Contains(t, strings.Join(c.ChatLines(), "\n"), "pairing with the Desktop failed")
	n = len(c.ChatLines())
	typeLine(t, c, `/run MGM_Ping("p3")`)
	assert.Equal(t, []string{"[MGM_PONG:p3]"}, verified(t, key, newLines(c, n)))
}

func TestPairing_ANewPairingSendsTheLastDaysReportsAgain(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	first := pair(t, c, "a")
	c.SetOnline("Норинн")
	notify(t, c, payout1, "Норинн")
	require.NoError(t, c.Whisper("Норинн", "!twgold"))
	typeLine(t, c, `/run MGM_Ping("p")`)
	require.NoError(t, c.Reload())
	n := len(c.ChatLines())
	second := pair(t, c, "b") // e.g. the Desktop lost its key
	assert.Equal(t, []string{`[MGM_PAIR:b]{"pub":"` + pairRe.FindStringSubmatch(strings.Join(newLines(c, n), "\n"))[2] + `"}`,
		"[MGM_ACCEPT:" + payout1 + "]"}, verified(t, second, newLines(c, n)), "the accept again, signed with the new key; no pong")
	assert.NotEqual(t, first.ID, second.ID)

	// a day later nothing old is sent again (the kept reports made a day older)
	require.NoError(t, c.Run(`for _, e in ipairs(MGM_DB.recent) do e.at = e.at - 25 * 3600 end`))
	n = len(c.ChatLines())
	third := pair(t, c, "c")
	assert.Len(t, verified(t, third, newLines(c, n)), 1, "only the pairing answer")
}
