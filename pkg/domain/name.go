// Package domain holds the rules every service shares: character names and the chat
// commands viewers type. It imports nothing from echo, pgx or nats.
package domain

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/mimiron/mgm/pkg/errs"
)

// Name limits (docs/product.md §2): MAX_PLAYER_NAME 12 ("max allowed by client name
// length", azerothcore/azerothcore-wotlk@00fdfeb0ff76e375b84b0ed01af6dc40d58c542a
// src/server/game/Globals/ObjectMgr.h:652) and the worldserver's default MinPlayerName = 2
// (azerothcore/azerothcore-wotlk@00e8151f12d5b5592c53526f1e2aa9f8bafb336c
// src/server/apps/worldserver/worldserver.conf.dist:1800). Both count UTF-16 code units,
// as the server's wstring holds them (see nameLen).
const (
	MinNameLen = 2
	MaxNameLen = 12
)

// The rules below are those of the 3.3.5 server that decide whether a character can
// exist, cited from azerothcore/azerothcore-wotlk (the 3.3.5 core; TrinityCore's 3.3.5
// branch has the same functions). The search index stores each file at its own commit;
// the line numbers were counted in that stored text. Below, "ObjectMgr.cpp:N" means
// azerothcore/azerothcore-wotlk@001f4d32fd22a3a68f4d7c146c7bd026b4c3c6d8
// src/server/game/Globals/ObjectMgr.cpp:N, "Util.h:N" means
// azerothcore/azerothcore-wotlk@09ee849eca303bbc75e05d0dc6ee7237e6f12095
// src/common/Utilities/Util.h:N, "Util.cpp:N" means
// azerothcore/azerothcore-wotlk@0b84fba310632f67dc56cfe42d08b613846ccb54
// src/common/Utilities/Util.cpp:N and "worldserver.conf.dist:N" means
// azerothcore/azerothcore-wotlk@00e8151f12d5b5592c53526f1e2aa9f8bafb336c
// src/server/apps/worldserver/worldserver.conf.dist:N.
//
//   - ObjectMgr::CheckPlayerName (ObjectMgr.cpp:7815-7838): not UTF-8 (Utf8toWStr fails,
//     :7818) → CHAR_NAME_INVALID_CHARACTER; wname.size() > MAX_PLAYER_NAME (:7821) →
//     CHAR_NAME_TOO_LONG; < MinPlayerName (:7824-7826) → CHAR_NAME_TOO_SHORT; not one
//     alphabet (isValidString, :7828-7830) → CHAR_NAME_MIXED_LANGUAGES; after wstrToLower
//     the same letter three times in a row (:7832-7835) → CHAR_NAME_THREE_CONSECUTIVE.
//     The three-in-a-row rule is the server's own and unconditional: no setting turns it
//     off.
//   - isValidString (ObjectMgr.cpp:7779-7813) with StrictPlayerNames = 0, the default
//     (worldserver.conf.dist:1848): every letter extended Latin, or every letter
//     Cyrillic, or every letter East Asian (ObjectMgr.cpp:7781-7790). East Asian names
//     are refused here: the product takes Latin or Cyrillic only (docs/product.md §2).
//   - Utf8toWStr (Util.cpp:420-434) converts with utf8::utf8to16 (Util.cpp:425), so
//     wname.size() counts UTF-16 code units: a character past U+FFFF counts twice.
//   - normalizePlayerName (ObjectMgr.cpp:200-220): wstrToLower (:212), then wcharToUpper
//     on the first character (:214). The server stores a created character's name this
//     way, so it is how the game shows every name.
//   - the letter tables: isBasicLatinCharacter Util.h:104-115, isExtendedLatinCharacter
//     Util.h:117-152, isCyrillicCharacter Util.h:154-165, wcharToUpper Util.h:278-313,
//     wcharToLower Util.h:320-355; wstrToLower applies wcharToLower to every character
//     (Util.cpp:489-492).
//
// Not applied: reserved and profane names (per-realm lists: the reserved_name table,
// IsReservedName ObjectMgr.cpp:7707-7720, which in AzerothCore also reserves every name
// ending in "GM" (:7710); newer AzerothCore also filters by the DBC lists,
// StrictNames.Reserved and StrictNames.Profanity, worldserver.conf.dist:1825 and :1834)
// and the ruRU client's "silent letter" rules (CHAR_NAME_RUSSIAN_*: Ъ/Ь first, last or
// doubled): only the Russian client checks those, so a character with such a name can
// exist on a realm that other clients use, and refusing it could lock a real winner out.

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
// order (ObjectMgr::CheckPlayerName, ObjectMgr.cpp:7815-7838, the commit named above).
func CheckCharacterName(s string) (CharacterName, NameProblem) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", NameInvalidCharacter // Utf8toWStr fails (ObjectMgr.cpp:7818)
	}
	n := nameLen(s)
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
			// The server answers CHAR_NAME_MIXED_LANGUAGES here too (isValidString fails,
			// ObjectMgr.cpp:7829-7830); "letters only" is the clearer reason to show.
			return "", NameInvalidCharacter
		}
	}
	if latin && cyrillic {
		return "", NameMixedLanguages
	}
	lower := make([]rune, 0, len(s))
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

// nameLen is the length the server checks: wname.size() after Utf8toWStr, which
// converts with utf8::utf8to16 (Util.cpp:425), so a character past U+FFFF
// counts as two code units. Only the reason differs (such a character is never a letter
// of the game's tables): "😀" is too short by rune count but not by the server's, and an
// 11-letter name with one emoji is too long to the server.
func nameLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// SameName reports whether two names are the same character.
func SameName(a, b string) bool { return FoldName(a) == FoldName(b) }

// isExtendedLatin is the server's isExtendedLatinCharacter (Util.h:117-152, the commit
// named above), which starts with isBasicLatinCharacter (Util.h:104-115). Note what it
// leaves out: ÿ (U+00FF), × and ÷, and Latin Extended-A from U+0130 on (İ, Ł, Œ, Š, Ž …).
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

// isCyrillic is the server's isCyrillicCharacter (Util.h:154-165): А..я, Ё, ё.
func isCyrillic(r rune) bool {
	return 0x0410 <= r && r <= 0x044F || r == 0x0401 || r == 0x0451
}

// gameLower is the server's wcharToLower (Util.h:320-355).
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

// gameUpper is the server's wcharToUpper (Util.h:278-313). ß becomes ẞ.
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
