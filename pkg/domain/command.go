package domain

import (
	"strings"
)

// CommandKind is a chat command the product listens for.
type CommandKind string

// The chat commands (docs/product.md §3).
const (
	CommandGold CommandKind = "twgold"
	CommandGift CommandKind = "twgift"
)

// Command is a parsed chat command: its kind and the raw name argument (not yet
// validated: a command with a malformed name is still a command, refused later with
// invalid_character_name).
type Command struct {
	Kind CommandKind
	Name string
}

// ParseCommand recognises "!twgold <Name>" and "!twgift <Name>": prefix compared
// case-insensitively, exactly one name token after it. Anything else — no name, extra
// words, other text — is not a command (ok=false) and is ignored.
func ParseCommand(text string) (Command, bool) {
	fields := strings.Fields(text)
	if len(fields) != 2 {
		return Command{}, false
	}
	var kind CommandKind
	switch {
	case strings.EqualFold(fields[0], "!"+string(CommandGold)):
		kind = CommandGold
	case strings.EqualFold(fields[0], "!"+string(CommandGift)):
		kind = CommandGift
	default:
		return Command{}, false
	}
	return Command{Kind: kind, Name: fields[1]}, true
}

// LooksLikeCommand is a cheap pre-filter for chat text: does it start with one of the
// command prefixes (after leading space, any case)? Used to keep ordinary chat out of
// the message bus.
func LooksLikeCommand(text string) bool {
	t := strings.TrimLeft(text, " \t\r\n")
	if len(t) < 7 {
		return false
	}
	p := t[:7]
	return strings.EqualFold(p, "!twgold") || strings.EqualFold(p, "!twgift")
}
