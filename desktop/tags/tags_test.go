package tags

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pid = "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f"

func TestParse_FindsTagsAnywhereInALine(t *testing.T) {
	cases := []struct {
		name string
		line string
		want []string // Key()s
	}{
		{"bare", "[MGM_ACCEPT:" + pid + "]", []string{"MGM_ACCEPT:" + pid}},
		{"after timestamp", "1/12 21:04:05.123  [MGM_CONFIRM:" + pid + "]", []string{"MGM_CONFIRM:" + pid}},
		{"whisper to self", "1/12 21:04:05.123  To Mimiron: [MGM_PONG:n0nce-1]", []string{"MGM_PONG:n0nce-1"}},
		{"nonce with dot and colon", "[MGM_PONG:a.b:c]", []string{"MGM_PONG:a.b:c"}},
		{"received whisper", "1/12 21:04:05.123  Mimiron whispers: [MGM_GIFT_ACCEPT:" + pid + "]", []string{"MGM_GIFT_ACCEPT:" + pid}},
		{"colour codes", "|cff33ff99MGM|r: |cffffd000[MGM_GIFT_SENT:" + pid + "]|r", []string{"MGM_GIFT_SENT:" + pid}},
		{"two in a line", "[MGM_ACCEPT:a] and [MGM_CONFIRM:b]", []string{"MGM_ACCEPT:a", "MGM_CONFIRM:b"}},
		{"junk before a real one", "[MGM_[MGM_ACCEPT:x]", []string{"MGM_ACCEPT:x"}},
		{"unknown kind", "[MGM_NOPE:x]", nil},
		{"missing id", "[MGM_ACCEPT:]", nil},
		{"bad id", "[MGM_ACCEPT:a b]", nil},
		{"unterminated", "[MGM_ACCEPT:abc", nil},
		{"who without json", "[MGM_WHO] nothing", nil},
		{"lowercase is not a tag", "[mgm_accept:x]", nil},
		{"plain chat", "Mimiron says: hello [world]", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, tg := range Parse(c.line) {
				got = append(got, tg.Key())
			}
			assert.Equal(t, c.want, got)
		})
	}
}

func TestParse_WhoCarriesTheJSONVerbatim(t *testing.T) {
	js := `{"schemaVersion":1,"spinCycleId":"c-1","characterName":"Норинн","online":true,"capturedAt":"2026-01-12T21:05:00Z"}`
	got := Parse("1/12 21:05:00.500  [MGM_WHO]" + js + "|r trailing")
	require.Len(t, got, 1)
	tg := got[0]
	assert.Equal(t, Who, tg.Kind)
	assert.Equal(t, "c-1", tg.ID)
	assert.JSONEq(t, js, string(tg.Payload))
	assert.Equal(t, "Норинн", tg.Who.CharacterName)
	assert.True(t, tg.Who.Online)
	// Case-folded name: the same report typed differently is the same tag.
	other := Parse(`[MGM_WHO]{"schemaVersion":1,"spinCycleId":"c-1","characterName":"нОРИНН","online":true,"capturedAt":"x"}`)
	require.Len(t, other, 1)
	assert.Equal(t, tg.Key(), other[0].Key())
}

func TestParse_WhoNeedsSchemaCycleAndName(t *testing.T) {
	for _, js := range []string{
		`{"spinCycleId":"c","characterName":"A","online":true}`,
		`{"schemaVersion":1,"characterName":"A","online":true}`,
		`{"schemaVersion":1,"spinCycleId":"c","online":true}`,
		`{"schemaVersion":1,"spinCycleId":"c","characterName":"A","online":"yes"}`,
		`{"schemaVersion":1,`,
		`[1,2]`,
	} {
		assert.Empty(t, Parse("[MGM_WHO]"+js), js)
	}
}

func TestParse_ItemsOnOneLineAndInPieces(t *testing.T) {
	one := Parse(`[MGM_ITEMS:g1][{"itemId":6948,"name":"Hearthstone"}]`)
	require.Len(t, one, 1)
	assert.Equal(t, `[{"itemId":6948,"name":"Hearthstone"}]`, string(one[0].Payload))

	var a Assembler
	p1 := Parse(`[MGM_ITEMS:g2:1/2][{"itemId":1,"name":"Шлем ]x"}]`)
	p2 := Parse(`1/2 00:00:00.000  [MGM_ITEMS:g2:2/2][{"itemId":2}]|r`)
	require.Len(t, p1, 1)
	require.Len(t, p2, 1)
	_, ok := a.Add(p2[0])
	assert.False(t, ok, "waits for the missing piece")
	whole, ok := a.Add(p1[0])
	require.True(t, ok)
	var items []map[string]any
	require.NoError(t, json.Unmarshal(whole.Payload, &items))
	assert.Len(t, items, 2)
	assert.Equal(t, "MGM_ITEMS:g2", whole.Key())
}

func FuzzParse(f *testing.F) {
	f.Add("1/12 21:04:05.123  [MGM_ACCEPT:" + pid + "]")
	f.Add(`[MGM_WHO]{"schemaVersion":1,"spinCycleId":"c-1","characterName":"Норинн","online":true,"capturedAt":"x"}`)
	f.Add(`[MGM_ITEMS:g2:1/2][{"a":1}]`)
	f.Add("[MGM_PONG:x][MGM_CONFIRM:y][MGM_")
	f.Fuzz(func(t *testing.T, line string) {
		for _, tg := range Parse(line) {
			if !validNonce(tg.ID) {
				t.Fatalf("invalid id %q", tg.ID)
			}
			switch tg.Kind {
			case Who:
				if tg.Who == nil || !json.Valid(tg.Payload) {
					t.Fatalf("who without report: %q", line)
				}
			case Items:
				if !json.Valid(tg.Payload) {
					t.Fatalf("items without valid json: %q", line)
				}
			}
			_ = tg.Key()
			_ = tg.String()
		}
	})
}
