package domain_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/domain/nametest"
	"github.com/mimiron/mgm/pkg/errs"
)

// TestNameTable_GameRules runs the shared table (testdata/names.json), which the addon
// and the Desktop run too.
func TestNameTable_GameRules(t *testing.T) {
	t.Parallel()
	table, err := nametest.Load()
	require.NoError(t, err)
	require.NotEmpty(t, table.Names)
	for _, c := range table.Names {
		got, problem := domain.CheckCharacterName(c.Input())
		assert.Equal(t, c.Reason, string(problem), "%s (%s)", c.Name(), c.Note)
		assert.Equal(t, c.Display, got.String(), "%s (%s)", c.Name(), c.Note)
	}
	for _, p := range table.Same {
		assert.True(t, domain.SameName(p[0], p[1]), "%q = %q", p[0], p[1])
	}
	for _, p := range table.Different {
		assert.False(t, domain.SameName(p[0], p[1]), "%q ≠ %q", p[0], p[1])
	}
}

// The regression of issue 12: "Thrall" in Latin letters and "Thrаll" with a Cyrillic а
// both enrolled; the second is a name no character can have.
func TestParseCharacterName_RefusesTheLookAlikeOfALatinName(t *testing.T) {
	t.Parallel()
	latin, err := domain.ParseCharacterName("Thrall")
	require.NoError(t, err)
	assert.Equal(t, "Thrall", latin.String())

	_, err = domain.ParseCharacterName("Thr\u0430ll")
	require.Error(t, err)
	assert.Equal(t, errs.InvalidCharacterName, errs.CodeOf(err))
	pub := errs.Public(err)
	assert.Equal(t, "Names must contain only one language", pub.Message)
	assert.Equal(t, "mixed_languages", pub.Details["reason"])
	assert.Equal(t, "Имя должно состоять из букв одного языка", pub.Details["messageRu"])
	assert.Equal(t, "Thr\u0430ll", pub.Details["characterName"])
}

func TestParseCharacterName_EveryProblemHasBothMessages(t *testing.T) {
	t.Parallel()
	for _, p := range []domain.NameProblem{domain.NameNoName, domain.NameTooShort, domain.NameTooLong,
		domain.NameInvalidCharacter, domain.NameMixedLanguages, domain.NameThreeConsecutive} {
		assert.NotEmpty(t, p.Message(), p)
		assert.NotEmpty(t, p.MessageRu(), p)
	}
}

func TestParseCharacterName_EchoesAtMost64BytesOfAHugeName(t *testing.T) {
	t.Parallel()
	_, err := domain.ParseCharacterName(strings.Repeat("ж", 100_000))
	require.Error(t, err)
	echoed := errs.Public(err).Details["characterName"].(string)
	assert.LessOrEqual(t, len(echoed), 64+len("…"))
	assert.True(t, utf8.ValidString(echoed))
	assert.Equal(t, "too_long", errs.Public(err).Details["reason"])
}

func TestSameName_FoldsUnicodeCase(t *testing.T) {
	t.Parallel()
	assert.True(t, domain.SameName("Норинн", "нОРИНН"))
	assert.True(t, domain.SameName("ЁЖИК", "ёжик"))
	assert.True(t, domain.SameName("Norinn", "NORINN"))
	assert.True(t, domain.SameName("Straße", "STRASSE"))
	assert.False(t, domain.SameName("Norinn", "Norin"))
	assert.False(t, domain.SameName("Норинн", "Norinn"))
}

// FuzzParseCharacterName: whatever the input, either a refusal with a documented reason
// or a name that obeys every rule, shown the game's way and stable under the rules.
func FuzzParseCharacterName(f *testing.F) {
	table, err := nametest.Load()
	require.NoError(f, err)
	for _, c := range table.Names {
		f.Add(c.Input())
	}
	reasons := map[string]bool{}
	for _, c := range table.Names {
		if c.Reason != "" {
			reasons[c.Reason] = true
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := domain.ParseCharacterName(s)
		if err != nil {
			require.Equal(t, errs.InvalidCharacterName, errs.CodeOf(err))
			pub := errs.Public(err)
			require.True(t, reasons[pub.Details["reason"].(string)], "undocumented reason %v", pub.Details["reason"])
			require.True(t, utf8.ValidString(pub.Details["characterName"].(string)))
			return
		}
		got := n.String()
		require.True(t, utf8.ValidString(got))
		if c := utf8.RuneCountInString(got); c < domain.MinNameLen || c > domain.MaxNameLen {
			t.Fatalf("length %d accepted", c)
		}
		require.False(t, strings.ContainsAny(got, ":;\"'|\\ \t\n-"), "separator accepted: %q", got)
		// The game's form is a fixed point, and it is the same character as the input.
		again, problem := domain.CheckCharacterName(got)
		require.Empty(t, problem, "display form %q refused", got)
		require.Equal(t, got, again.String())
		require.True(t, domain.SameName(got, s), "%q is not the same name as %q", got, s)
		// Folding is idempotent and compares a name to itself.
		require.Equal(t, n.Folded(), domain.FoldName(n.Folded()))
		require.True(t, domain.SameName(got, got))
	})
}
