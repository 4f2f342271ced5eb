package domain

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text string
		want Command
		ok   bool
	}{
		{"!twgold Norinn", Command{CommandGold, "Norinn"}, true},
		{"!TWGold Norinn", Command{CommandGold, "Norinn"}, true},
		{"  !twgold   Норинн  ", Command{CommandGold, "Норинн"}, true},
		{"!twgift Norinn", Command{CommandGift, "Norinn"}, true},
		{"!TWGIFT Norinn", Command{CommandGift, "Norinn"}, true},
		{"!twgold", Command{}, false},
		{"!twgold Norinn please", Command{}, false},
		{"!twgoldNorinn", Command{}, false},
		{"hello !twgold Norinn", Command{}, false},
		{"!twgolds Norinn", Command{}, false},
		{"", Command{}, false},
	}
	for _, c := range cases {
		got, ok := ParseCommand(c.text)
		assert.Equal(t, c.ok, ok, c.text)
		assert.Equal(t, c.want, got, c.text)
	}
}

func TestLooksLikeCommand(t *testing.T) {
	t.Parallel()
	assert.True(t, LooksLikeCommand("!twgold x"))
	assert.True(t, LooksLikeCommand("  !TwGift x"))
	assert.False(t, LooksLikeCommand("hello"))
	assert.False(t, LooksLikeCommand("!tw"))
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"!twgold Norinn", "!TWGIFT Норинн", "!twgold", "!twgold a b", " \t!twgold\tX ", "!twgold \xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, ok := ParseCommand(text)
		if !ok {
			if cmd != (Command{}) {
				t.Fatalf("refused command carries data: %+v", cmd)
			}
			return
		}
		if !LooksLikeCommand(text) {
			t.Fatalf("parsed %q but the pre-filter would drop it", text)
		}
		if cmd.Name == "" || strings.ContainsAny(cmd.Name, " \t\n\r") {
			t.Fatalf("bad name token %q", cmd.Name)
		}
		if cmd.Kind != CommandGold && cmd.Kind != CommandGift {
			t.Fatalf("bad kind %q", cmd.Kind)
		}
	})
}
