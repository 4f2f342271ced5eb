package domain

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
)

func TestParseCharacterName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"Norinn", "Norinn", true},
		{"  Norinn\t", "Norinn", true},
		{"Норинн", "Норинн", true},
		{"Ёжик", "Ёжик", true},
		{"Zé", "Zé", true},
		{"Ab", "Ab", true},
		{"Abcdefghijkl", "Abcdefghijkl", true},
		{"A", "", false},
		{"Abcdefghijklm", "", false},
		{"Nor inn", "", false},
		{"Norinn1", "", false},
		{"Nor-inn", "", false},
		{"Nor:inn", "", false},
		{"Nor;inn", "", false},
		{"", "", false},
		{"Ωmega", "", false}, // Greek is neither Latin nor Cyrillic
		{"名前です", "", false},  // Han
		{"Nor\u200binn", "", false},
	}
	for _, c := range cases {
		got, err := ParseCharacterName(c.in)
		if c.ok {
			require.NoError(t, err, c.in)
			assert.Equal(t, c.want, got.String())
		} else {
			require.Error(t, err, c.in)
			assert.Equal(t, errs.InvalidCharacterName, errs.CodeOf(err), c.in)
		}
	}
}

func TestSameName_FoldsUnicodeCase(t *testing.T) {
	t.Parallel()
	assert.True(t, SameName("Норинн", "нОРИНН"))
	assert.True(t, SameName("ЁЖИК", "ёжик"))
	assert.True(t, SameName("Norinn", "NORINN"))
	assert.True(t, SameName("Straße", "STRASSE"))
	assert.False(t, SameName("Norinn", "Norin"))
	assert.False(t, SameName("Норинн", "Norinn"))
}

func FuzzParseCharacterName(f *testing.F) {
	for _, s := range []string{"Norinn", "Норинн", " A ", "Abcdefghijklm", "Nor inn", "\xff\xfe", "Straße"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseCharacterName(s)
		if err != nil {
			if errs.CodeOf(err) != errs.InvalidCharacterName {
				t.Fatalf("unexpected code %q", errs.CodeOf(err))
			}
			return
		}
		got := n.String()
		if got != strings.TrimSpace(got) {
			t.Fatalf("not trimmed: %q", got)
		}
		if c := utf8.RuneCountInString(got); c < MinNameLen || c > MaxNameLen {
			t.Fatalf("length %d accepted", c)
		}
		if strings.ContainsAny(got, ":; \t\n") {
			t.Fatalf("separator accepted: %q", got)
		}
		// Folding is idempotent and compares a name to itself.
		if FoldName(n.Folded()) != n.Folded() || !SameName(got, got) {
			t.Fatalf("folding unstable for %q", got)
		}
	})
}
