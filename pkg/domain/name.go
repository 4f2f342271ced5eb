// Package domain holds the rules every service shares: character names and the chat
// commands viewers type. It imports nothing from echo, pgx or nats.
package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/mimiron/mgm/pkg/errs"
)

// Name limits (docs/product.md §2).
const (
	MinNameLen = 2
	MaxNameLen = 12
)

// CharacterName is a validated WoW character name as the viewer typed it (trimmed).
type CharacterName string

// ParseCharacterName trims s and checks it: 2–12 letters of the Latin or Cyrillic
// scripts, nothing else. The error carries errs.InvalidCharacterName.
func ParseCharacterName(s string) (CharacterName, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", errs.E(errs.InvalidCharacterName, "character name is not valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if n < MinNameLen || n > MaxNameLen {
		return "", errs.E(errs.InvalidCharacterName, "character name must be %d to %d letters", MinNameLen, MaxNameLen).
			WithDetails(map[string]any{"characterName": s})
	}
	for _, r := range s {
		if !unicode.IsLetter(r) || !(unicode.Is(unicode.Latin, r) || unicode.Is(unicode.Cyrillic, r)) {
			return "", errs.E(errs.InvalidCharacterName, "character name may hold only Latin or Cyrillic letters").
				WithDetails(map[string]any{"characterName": s})
		}
	}
	return CharacterName(s), nil
}

// String is the name as typed.
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
