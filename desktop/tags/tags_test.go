package tags

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/tagsig"
)

const (
	pid   = "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f"
	stamp = "1/12 21:04:05.123  "
)

func testKey(t testing.TB) tagsig.Key {
	k, err := tagsig.NewKey([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	return k
}

func TestRead_TakesTheAddonsOwnLines(t *testing.T) {
	k := testKey(t)
	signed := k.Sign("[MGM_CONFIRM:" + pid + "]")
	cases := []struct {
		name   string
		line   string
		origin Origin
		peer   string
	}{
		{"chat frame output", stamp + signed, FromAddon, ""},
		{"single-digit month and day", "1/2 01:02:03.004  " + signed, FromAddon, ""},
		{"whisper sent, bare name", stamp + "To Mimiron: " + signed, WhisperTo, "Mimiron"},
		{"whisper sent, bracketed name", stamp + "To [Mimiron]: " + signed, WhisperTo, "Mimiron"},
		{"whisper received, player link", stamp + "|Hplayer:Мимирон:42:WHISPER:МИМИРОН|h[Мимирон]|h whispers: " + signed, WhisperFrom, "Мимирон"},
		{"whisper received, bracketed", stamp + "[Mimiron] whispers: " + signed, WhisperFrom, "Mimiron"},
		{"ruRU whisper sent", stamp + "Вы шепчете [Мимирон]: " + signed, WhisperTo, "Мимирон"},
		{"ruRU whisper sent, other wording", stamp + "Кому Мимирон: " + signed, WhisperTo, "Мимирон"},
		{"ruRU whisper received", stamp + "[Мимирон] шепчет: " + signed, WhisperFrom, "Мимирон"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := Read(c.line)
			require.NoError(t, err)
			assert.Equal(t, c.origin, l.Origin)
			assert.Equal(t, c.peer, l.Peer)
			assert.Equal(t, Confirm, l.Tag.Kind)
			assert.Equal(t, pid, l.Tag.ID)
			assert.Equal(t, k.ID, l.KeyID)
			assert.True(t, k.Verify(l.Text, l.MAC))
		})
	}
}

func TestRead_RefusesTagsAnywhereElse(t *testing.T) {
	k := testKey(t)
	tag := "[MGM_CONFIRM:" + pid + "]"
	signed := k.Sign(tag)
	for _, c := range []struct{ name, line string }{
		{"no timestamp", signed},
		{"one space after the timestamp", "1/12 21:04:05.123 " + signed},
		{"say", stamp + "[Evil] says: " + signed},
		{"yell", stamp + "Evil yells: " + signed},
		{"channel named like a tag", stamp + "[5. MGM_CONFIRM] [Evil]: " + signed},
		{"guild", stamp + "[Guild] [Evil]: " + signed},
		{"party", stamp + "[Party] Evil: " + signed},
		{"emote", stamp + "Evil " + signed},
		{"a name shaped like a tag", stamp + "[MGM_CONFIRM:" + pid + "] says: " + signed},
		{"tag not at the start of a whisper", stamp + "Evil whispers: look " + signed},
		{"text after the signature", stamp + signed + " hi"},
		{"text between tag and signature", stamp + tag + " x" + signed[len(tag):]},
		{"two tags", stamp + tag + signed},
		{"malformed", stamp + "[MGM_CONFIRM:a b]"},
		{"colour code before the tag", stamp + "|cffffd000" + signed},
		{"system line", stamp + "No player named '" + signed + "' is currently playing."},
		{"AFK flag before a whisper", stamp + "<AFK>[Mimiron] whispers: " + signed},
		{"player link with another name shown", stamp + "|Hplayer:Evil:1|h[Mimiron]|h whispers: " + signed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(c.line)
			var r *RefusedError
			require.True(t, errors.As(err, &r), "%v", err)
			assert.NotEmpty(t, r.Reason)
		})
	}
	_, err := Read(stamp + "Mimiron says: hello [world]")
	assert.ErrorIs(t, err, ErrNoTag)
}

func TestRead_UnsignedTagsAreReadForTheCallerToRefuse(t *testing.T) {
	l, err := Read(stamp + "[MGM_PONG:ping-1.a:b]")
	require.NoError(t, err)
	assert.False(t, l.Signed())
	assert.Equal(t, Pong, l.Tag.Kind)
	assert.Equal(t, "ping-1.a:b", l.Tag.ID)
}

func TestRead_WhoCarriesTheJSONVerbatim(t *testing.T) {
	k := testKey(t)
	js := `{"schemaVersion":1,"spinCycleId":"c-1","characterName":"Норинн","online":true,"capturedAt":"2026-01-12T21:05:00Z"}`
	l, err := Read(stamp + k.Sign("[MGM_WHO]"+js))
	require.NoError(t, err)
	tg := l.Tag
	assert.Equal(t, Who, tg.Kind)
	assert.Equal(t, "c-1", tg.ID)
	assert.JSONEq(t, js, string(tg.Payload))
	assert.Equal(t, "Норинн", tg.Who.CharacterName)
	assert.True(t, tg.Who.Online)
	assert.Equal(t, "[MGM_WHO]"+js, l.Text, "the signature covers the exact text")
	// Case-folded name: the same report typed differently is the same tag.
	other, _, ok := ParseTag(`[MGM_WHO]{"schemaVersion":1,"spinCycleId":"c-1","characterName":"нОРИНН","online":true,"capturedAt":"x"}`)
	require.True(t, ok)
	assert.Equal(t, tg.Key(), other.Key())
}

func TestParseTag_WhoNeedsSchemaCycleAndName(t *testing.T) {
	for _, js := range []string{
		`{"spinCycleId":"c","characterName":"A","online":true}`,
		`{"schemaVersion":1,"characterName":"A","online":true}`,
		`{"schemaVersion":1,"spinCycleId":"c","online":true}`,
		`{"schemaVersion":1,"spinCycleId":"c","characterName":"A","online":"yes"}`,
		`{"schemaVersion":1,`,
		`[1,2]`,
	} {
		_, _, ok := ParseTag("[MGM_WHO]" + js)
		assert.False(t, ok, js)
	}
}

func TestParseTag_Pair(t *testing.T) {
	pub := strings.Repeat("0a", 32)
	tg, rest, ok := ParseTag(`[MGM_PAIR:pair-1]{"pub":"` + pub + `"}`)
	require.True(t, ok)
	assert.Equal(t, "", rest)
	assert.Equal(t, Pair, tg.Kind)
	assert.Equal(t, "pair-1", tg.ID)
	assert.Equal(t, pub, tg.PairPub)
	for _, bad := range []string{
		`[MGM_PAIR:p]{"pub":"` + strings.ToUpper(pub) + `"}`,
		`[MGM_PAIR:p]{"pub":"abc"}`,
		`[MGM_PAIR]{"pub":"` + pub + `"}`,
		`[MGM_PAIR:p]`,
	} {
		_, _, ok := ParseTag(bad)
		assert.False(t, ok, bad)
	}
}

func TestParseTag_ItemsOnOneLineAndInPieces(t *testing.T) {
	one, _, ok := ParseTag(`[MGM_ITEMS:g1][{"itemId":6948,"name":"Hearthstone"}]`)
	require.True(t, ok)
	assert.Equal(t, `[{"itemId":6948,"name":"Hearthstone"}]`, string(one.Payload))

	var a Assembler
	p1, _, ok1 := ParseTag(`[MGM_ITEMS:g2:1/2][{"itemId":1,"name":"Шлем ]x"}]`)
	p2, _, ok2 := ParseTag(`[MGM_ITEMS:g2:2/2][{"itemId":2}]`)
	require.True(t, ok1 && ok2)
	_, ok = a.Add(p2)
	assert.False(t, ok, "waits for the missing piece")
	whole, ok := a.Add(p1)
	require.True(t, ok)
	var items []map[string]any
	require.NoError(t, json.Unmarshal(whole.Payload, &items))
	assert.Len(t, items, 2)
	assert.Equal(t, "MGM_ITEMS:g2", whole.Key())
}

func TestParseTag_AckAndBye(t *testing.T) {
	ack, _, ok := ParseTag("[MGM_ACK:c42]")
	require.True(t, ok)
	assert.Equal(t, "MGM_ACK:c42", ack.Key())
	bye, _, ok := ParseTag("[MGM_BYE:s-1a2b]")
	require.True(t, ok)
	assert.Equal(t, Bye, bye.Kind)
	_, _, ok = ParseTag("[MGM_ACK:]")
	assert.False(t, ok)
}

func TestParseTag_Rejects(t *testing.T) {
	for _, s := range []string{"[MGM_NOPE:x]", "[MGM_ACCEPT:]", "[MGM_ACCEPT:a b]", "[MGM_ACCEPT:abc", "[MGM_WHO] nothing", "[mgm_accept:x]", "x[MGM_ACCEPT:x]"} {
		_, _, ok := ParseTag(s)
		assert.False(t, ok, s)
	}
}

// FuzzRead: whatever the line, Read never panics; what it accepts starts with a
// timestamp, holds exactly one well-formed tag at the start of the message with nothing
// but its signature after it, and reads back the same from a re-signed line.
func FuzzRead(f *testing.F) {
	k := testKey(f)
	f.Add(stamp + k.Sign("[MGM_ACCEPT:"+pid+"]"))
	f.Add(stamp + "To [Mimiron]: " + k.Sign(`[MGM_WHO]{"schemaVersion":1,"spinCycleId":"c-1","characterName":"Норинн","online":true,"capturedAt":"x"}`))
	f.Add(stamp + "Mimiron whispers: " + k.Sign(`[MGM_ITEMS:g2:1/2][{"a":1}]`))
	f.Add(stamp + "[Evil] says: [MGM_PONG:x][MGM_CONFIRM:y][MGM_")
	f.Fuzz(func(t *testing.T, line string) {
		l, err := Read(line)
		if err != nil {
			var r *RefusedError
			if !errors.Is(err, ErrNoTag) && !errors.As(err, &r) {
				t.Fatalf("unexpected error type %T", err)
			}
			return
		}
		if _, ok := cutStamp(line); !ok {
			t.Fatalf("accepted without a timestamp: %q", line)
		}
		if !strings.HasPrefix(l.Text, marker) || !validNonce(l.Tag.ID) {
			t.Fatalf("bad tag %q from %q", l.Text, line)
		}
		if l.Signed() {
			if !strings.HasSuffix(line, l.Text+tagsig.Prefix+l.KeyID+":"+l.MAC+"]") {
				t.Fatalf("signature not at the end: %q", line)
			}
		} else if !strings.HasSuffix(line, l.Text) {
			t.Fatalf("text after the tag: %q", line)
		}
		switch l.Tag.Kind {
		case Who:
			if l.Tag.Who == nil || !json.Valid(l.Tag.Payload) {
				t.Fatalf("who without report: %q", line)
			}
		case Items, Pair:
			if !json.Valid(l.Tag.Payload) {
				t.Fatalf("invalid json: %q", line)
			}
		}
		_ = l.Tag.Key()
		_ = l.Tag.String()
		again, err := Read(stamp + k.Sign(l.Text))
		if err != nil || again.Text != l.Text || again.Tag.Key() != l.Tag.Key() {
			t.Fatalf("re-signed %q reads differently: %v", l.Text, err)
		}
	})
}

func TestStamp_TheNearestInstantTheLogsTimestampCanStandFor(t *testing.T) {
	loc := time.FixedZone("PC", 3*3600)
	now := time.Date(2026, 1, 1, 0, 0, 30, 0, loc)
	got, ok := Stamp("12/31 23:59:58.250  [MGM_PONG:ab12-1]", now, loc)
	require.True(t, ok)
	assert.Equal(t, time.Date(2025, 12, 31, 23, 59, 58, 250*int(time.Millisecond), loc), got, "last year's New Year's Eve")
	got, ok = Stamp("1/1 00:00:29.000  x", now, loc)
	require.True(t, ok)
	assert.Equal(t, 1*time.Second, now.Sub(got))
	for _, bad := range []string{"13/1 00:00:00.000  x", "1/1 24:00:00.000  x", "1/1 00:00:00.000 x", "x 1/1 00:00:00.000  "} {
		_, ok := Stamp(bad, now, loc)
		assert.False(t, ok, bad)
	}
}
