// Package domain holds the rules every service shares: character names and the chat
// commands viewers type. It imports nothing from echo, pgx or nats.
package domain

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/mimiron/mgm/pkg/errs"
)

// Name limits (docs/product.md §2): MAX_PLAYER_NAME 12 ("max allowed by client name
// length", ObjectMgr.h) and the worldserver's default MinPlayerName = 2
// (worldserver.conf.dist), counted in characters as the server's wstring does.
const (
	MinNameLen = 2
	MaxNameLen = 12
)

// The rules below are those of the 3.3.5 server that decide whether a character can
// exist, cited from azerothcore/azerothcore-wotlk (the 3.3.5 core; TrinityCore's 3.3.5
// branch has the same functions):
//
//   - ObjectMgr::CheckPlayerName (src/server/game/Globals/ObjectMgr.cpp @001f4d32,
//     function anchor; the line was not determined because the file is read by offset):
//     invalid UTF-8 → CHAR_NAME_INVALID_CHARACTER; more than MAX_PLAYER_NAME characters →
//     CHAR_NAME_TOO_LONG; fewer than MinPlayerName → CHAR_NAME_TOO_SHORT; not one
//     alphabet (isValidString with StrictPlayerNames = 0, the default: every letter
//     extended Latin, or every letter Cyrillic, or every letter East Asian) →
//     CHAR_NAME_MIXED_LANGUAGES; the same letter three times in a row after wstrToLower
//     → CHAR_NAME_THREE_CONSECUTIVE. East Asian names are refused here: the product
//     takes Latin or Cyrillic only (docs/product.md §2).
//   - normalizePlayerName (ObjectMgr.cpp:200-220 @001f4d32): every character through
//     wcharToLower, then the first through wcharToUpper. The server stores a created
//     character's name this way, so it is how the game shows every name.
//   - the letter tables: src/common/Utilities/Util.h @09ee849e — isBasicLatinCharacter
//     :104-115, isExtendedLatinCharacter :117-152, isCyrillicCharacter :154-165,
//     wcharToUpper :278-313, wcharToLower :320-355.
//
// Not applied: reserved and profane names (per-realm DBC and database lists; AzerothCore
// also reserves names ending in "GM", IsReservedName) and the ruRU client's "silent
// letter" rules (CHAR_NAME_RUSSIAN_*: Ъ/Ь first, last or doubled): only the Russian
// client checks those, so a character with such a name can exist on a realm that other
// clients use, and refusing it could lock a real winner out.

// NameProblem says why the game could never have a character of that name. Its values
// are the details.reason of an invalid_character_name error (docs/product.md §2).
type NameProblem string

// The problems, after the CHAR_NAME_* response codes of the 3.3.5 server.
const (
	NameNoName           NameProblem = "no_name"
	NameTooShort         NameProblem = "too_short"
	NameTooLong          NameProblem = "too_long"
	NameInvalidCharacter NameProblem = "invalid_character"
	NameMixedLanguages   NameProblem = "mixed_languages"
	NameThreeConsecutive NameProblem = "three_consecutive"
)

// nameMessages are the game's own texts for each problem, from the character creation
// screen (GlueStrings CHAR_NAME_*). English and Russian from a WotLK ruRU/enGB glue
// string table (search index file 46264179854; its repository is not named by the
// index), except:
//   - invalid_character English: GlueXML/GlueStrings.lua CHAR_NAME_INVALID_CHARACTER as
//     quoted in a client study (index file 71012621348); its Russian text is unknown:
//     ours.
//   - three_consecutive and mixed_languages also exist in-game as ERR_NAME_* with other
//     wording (tekkub/wow-ui-source@3.3.5 FrameXML/GlobalStrings.lua:3282, :3288).
var nameMessages = map[NameProblem][2]string{
	NameNoName:           {"Enter a name for your character", "Введите имя персонажа"},
	NameTooShort:         {"Names must be at least 2 characters", "Имя должно содержать не менее 2 символов"},
	NameTooLong:          {"Names must be no more than 12 characters", "Имя не может содержать больше 12 букв"},
	NameInvalidCharacter: {"Names can only contain letters", "Имя может содержать только буквы"},
	NameMixedLanguages:   {"Names must contain only one language", "Имя должно состоять из букв одного языка"},
	NameThreeConsecutive: {"You cannot use the same letter three times consecutively", "Вы не можете использовать один и тот же символ три раза подряд"},
}

// Message is the game's English text for p.
func (p NameProblem) Message() string { return nameMessages[p][0] }

// MessageRu is the game's Russian text for p.
func (p NameProblem) MessageRu() string { return nameMessages[p][1] }

// CharacterName is a name a WoW 3.3.5 character can have, in the form the game shows it
// (normalizePlayerName: "thrall" and "THRALL" are both "Thrall").
type CharacterName string

// CheckCharacterName applies the game's rules to s after trimming white space. It
// returns the name as the game shows it, or the first rule it breaks, in the server's
// order (ObjectMgr::CheckPlayerName).
func CheckCharacterName(s string) (CharacterName, NameProblem) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", NameInvalidCharacter // Utf8toWStr fails
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", NameNoName
	case n > MaxNameLen:
		return "", NameTooLong
	case n < MinNameLen:
		return "", NameTooShort
	}
	latin, cyrillic := false, false
	for _, r := range s {
		switch {
		case isExtendedLatin(r):
			latin = true
		case isCyrillic(r):
			cyrillic = true
		default:
			// The server answers CHAR_NAME_MIXED_LANGUAGES here too (isValidString fails);
			// the client's own check says "letters only", which is the clearer reason.
			return "", NameInvalidCharacter
		}
	}
	if latin && cyrillic {
		return "", NameMixedLanguages
	}
	lower := make([]rune, 0, n)
	for _, r := range s {
		lower = append(lower, gameLower(r))
	}
	for i := 2; i < len(lower); i++ {
		if lower[i] == lower[i-1] && lower[i] == lower[i-2] {
			return "", NameThreeConsecutive
		}
	}
	lower[0] = gameUpper(lower[0])
	return CharacterName(string(lower)), ""
}

// ParseCharacterName is CheckCharacterName as an error: invalid_character_name with the
// game's reason in English (message) and Russian (details.messageRu).
func ParseCharacterName(s string) (CharacterName, error) {
	name, p := CheckCharacterName(s)
	if p != "" {
		return "", NameError(s, p)
	}
	return name, nil
}

// NameError is the invalid_character_name error for raw refused with p.
func NameError(raw string, p NameProblem) *errs.Error {
	return errs.E(errs.InvalidCharacterName, "%s", p.Message()).WithDetails(map[string]any{
		"characterName": Excerpt(strings.TrimSpace(raw), 64),
		"reason":        string(p),
		"messageRu":     p.MessageRu(),
	})
}

// Excerpt is s cut to at most max bytes of valid UTF-8 (invalid bytes shown as U+FFFD),
// with "…" when something was cut: outside text echoed in errors and logs stays small.
func Excerpt(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// String is the name as the game shows it.
func (n CharacterName) String() string { return string(n) }

// Folded is the comparison key: full Unicode case folding, so "Норинн" and "нОРИНН",
// or "Straße" and "STRASSE", compare equal.
func (n CharacterName) Folded() string { return FoldName(string(n)) }

// FoldName folds any string the way names are compared everywhere in the product.
// cases.Caser is not safe for concurrent use, so each call makes its own.
func FoldName(s string) string {
	return cases.Fold().String(strings.TrimSpace(s))
}

// SameName reports whether two names are the same character.
func SameName(a, b string) bool { return FoldName(a) == FoldName(b) }

// isExtendedLatin is the server's isExtendedLatinCharacter (Util.h:117-152 @09ee849e),
// which starts with isBasicLatinCharacter (:104-115). Note what it leaves out: ÿ (U+00FF),
// × and ÷, and Latin Extended-A from U+0130 on (İ, Ł, Œ, Š, Ž …).
func isExtendedLatin(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
	case 0x00C0 <= r && r <= 0x00D6, 0x00D8 <= r && r <= 0x00DE, r == 0x00DF:
	case 0x00E0 <= r && r <= 0x00F6, 0x00F8 <= r && r <= 0x00FE:
	case 0x0100 <= r && r <= 0x012F, r == 0x1E9E:
	default:
		return false
	}
	return true
}

// isCyrillic is the server's isCyrillicCharacter (Util.h:154-165 @09ee849e): А..я, Ё, ё.
func isCyrillic(r rune) bool {
	return 0x0410 <= r && r <= 0x044F || r == 0x0401 || r == 0x0451
}

// gameLower is the server's wcharToLower (Util.h:320-355 @09ee849e).
func gameLower(r rune) rune {
	switch {
	case 'A' <= r && r <= 'Z', 0x00C0 <= r && r <= 0x00D6, 0x00D8 <= r && r <= 0x00DE:
		return r + 0x20
	case 0x0100 <= r && r <= 0x012E && r%2 == 0:
		return r + 1
	case r == 0x1E9E:
		return 0x00DF
	case r == 0x0401:
		return 0x0451
	case 0x0410 <= r && r <= 0x042F:
		return r + 0x20
	}
	return r
}

// gameUpper is the server's wcharToUpper (Util.h:278-313 @09ee849e). ß becomes ẞ.
func gameUpper(r rune) rune {
	switch {
	case 'a' <= r && r <= 'z', 0x00E0 <= r && r <= 0x00F6, 0x00F8 <= r && r <= 0x00FE:
		return r - 0x20
	case r == 0x00DF:
		return 0x1E9E
	case 0x0101 <= r && r <= 0x012F && r%2 == 1:
		return r - 1
	case 0x0430 <= r && r <= 0x044F:
		return r - 0x20
	case r == 0x0451:
		return 0x0401
	}
	return r
}
