// Package tags reads the addon's machine-readable tags from chat log lines. Only the
// streamer's own addon may speak (docs/product.md §9): Read takes a tag only where the
// addon's own output stands in the log — right after the timestamp, or in a whisper — and
// splits off its signature (pkg/tagsig), which the caller checks. A tag anywhere else in
// a line (what another player says, yells, whispers or writes in a channel) is refused.
package tags

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mimiron/mgm/pkg/domain"
)

// Kind is a tag's name as printed between the brackets.
type Kind string

// The tags of docs/product.md §9.
const (
	Who        Kind = "MGM_WHO"
	Accept     Kind = "MGM_ACCEPT"
	Confirm    Kind = "MGM_CONFIRM"
	Items      Kind = "MGM_ITEMS"
	GiftAccept Kind = "MGM_GIFT_ACCEPT"
	GiftSent   Kind = "MGM_GIFT_SENT"
	Pong       Kind = "MGM_PONG"
	// Pair is the addon's answer to MGM_Pair: [MGM_PAIR:<nonce>]{"pub":"<hex>"}.
	Pair Kind = "MGM_PAIR"
	// Ack acknowledges a typed command: [MGM_ACK:<id>] (addon Command.lua).
	Ack Kind = "MGM_ACK"
	// Bye ends a game session's pongs: [MGM_BYE:<session>] (printed at logout / reload).
	Bye Kind = "MGM_BYE"
)

// maxID bounds ids and nonces; payout and gift ids are UUIDs (36 characters).
const maxID = 64

// Tag is one tag found in a line.
type Tag struct {
	Kind Kind
	// ID is the payout id (Accept, Confirm), gift request id (Items, GiftAccept,
	// GiftSent), nonce (Pong: may also hold '.' and ':') or spin cycle id (Who).
	ID string
	// Payload is the JSON that follows a Who tag (an object) or an Items tag (an array,
	// possibly one part of several; see Part/Parts).
	Payload json.RawMessage
	// Who is the decoded report of a Who tag.
	Who *WhoReport
	// PairPub is the addon's X25519 public key (64 lowercase hex digits) of a Pair tag.
	PairPub string
	// Part and Parts number the pieces of an Items list split over several lines
	// ([MGM_ITEMS:<id>:<part>/<parts>]); both are 0 for a list on one line.
	Part, Parts int
}

// WhoReport is the [MGM_WHO] JSON (docs/product.md §9); the Desktop posts it verbatim.
type WhoReport struct {
	SchemaVersion int    `json:"schemaVersion"`
	SpinCycleID   string `json:"spinCycleId"`
	CharacterName string `json:"characterName"`
	Online        bool   `json:"online"`
	CapturedAt    string `json:"capturedAt"`
}

// Key identifies a tag for "handle once": the same tag read twice (a whisper to oneself
// is logged both as sent and as received, a log restored from a backup) has the same key.
func (t Tag) Key() string {
	switch t.Kind {
	case Who:
		return fmt.Sprintf("%s:%s:%s:%t", t.Kind, t.ID, domain.FoldName(t.Who.CharacterName), t.Who.Online)
	case Items:
		if t.Parts > 0 {
			return fmt.Sprintf("%s:%s:%d/%d", t.Kind, t.ID, t.Part, t.Parts)
		}
	}
	return string(t.Kind) + ":" + t.ID
}

func (t Tag) String() string {
	switch t.Kind {
	case Who:
		return fmt.Sprintf("[%s]{spinCycleId:%s characterName:%s online:%t}", t.Kind, t.ID, t.Who.CharacterName, t.Who.Online)
	case Items:
		return fmt.Sprintf("[%s:%s] (%d bytes)", t.Kind, t.ID, len(t.Payload))
	}
	return fmt.Sprintf("[%s:%s]", t.Kind, t.ID)
}

const marker = "[MGM_"

// ParseTag parses the tag at the start of s ("[MGM_…") and returns what follows it.
func ParseTag(s string) (Tag, string, bool) {
	if !strings.HasPrefix(s, marker) {
		return Tag{}, "", false
	}
	return parseAt(s)
}

// parseAt parses a tag at the start of s ("[MGM_…") and returns what follows it.
func parseAt(s string) (Tag, string, bool) {
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return Tag{}, "", false
	}
	head := s[1:end] // MGM_X or MGM_X:arg
	rest := s[end+1:]
	name, arg, hasArg := strings.Cut(head, ":")
	kind := Kind(name)
	switch kind {
	case Who:
		if hasArg {
			return Tag{}, "", false
		}
		return parseWho(rest)
	case Pong, Ack, Bye:
		if !hasArg || !validNonce(arg) {
			return Tag{}, "", false
		}
		return Tag{Kind: kind, ID: arg}, rest, true
	case Pair:
		if !hasArg || !validNonce(arg) {
			return Tag{}, "", false
		}
		return parsePair(arg, rest)
	case Accept, Confirm, GiftAccept, GiftSent:
		if !hasArg || !validID(arg) {
			return Tag{}, "", false
		}
		return Tag{Kind: kind, ID: arg}, rest, true
	case Items:
		if !hasArg {
			return Tag{}, "", false
		}
		return parseItems(arg, rest)
	}
	return Tag{}, "", false
}

func parseWho(rest string) (Tag, string, bool) {
	raw, after, ok := leadingJSON(rest, '{')
	if !ok {
		return Tag{}, "", false
	}
	var w WhoReport
	if err := json.Unmarshal(raw, &w); err != nil {
		return Tag{}, "", false
	}
	if w.SchemaVersion < 1 || !validID(w.SpinCycleID) || w.CharacterName == "" {
		return Tag{}, "", false
	}
	return Tag{Kind: Who, ID: w.SpinCycleID, Payload: raw, Who: &w}, after, true
}

func parsePair(nonce, rest string) (Tag, string, bool) {
	raw, after, ok := leadingJSON(rest, '{')
	if !ok {
		return Tag{}, "", false
	}
	var p struct {
		Pub string `json:"pub"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || len(p.Pub) != 64 || !lowerHex(p.Pub) {
		return Tag{}, "", false
	}
	return Tag{Kind: Pair, ID: nonce, Payload: raw, PairPub: p.Pub}, after, true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// parseItems reads "<id>" or "<id>:<part>/<parts>" and the JSON array that follows. A
// list too long for one line comes in parts, each a complete array; Assembler
// concatenates the arrays of parts 1..n.
func parseItems(arg, rest string) (Tag, string, bool) {
	id, partSpec, split := strings.Cut(arg, ":")
	if !validID(id) {
		return Tag{}, "", false
	}
	var part, parts int
	if split {
		if n, err := fmt.Sscanf(partSpec, "%d/%d", &part, &parts); n != 2 || err != nil ||
			fmt.Sprintf("%d/%d", part, parts) != partSpec || part < 1 || parts < 1 || part > parts || parts > 999 {
			return Tag{}, "", false
		}
	}
	raw, after, ok := leadingJSON(rest, '[')
	if !ok {
		return Tag{}, "", false
	}
	return Tag{Kind: Items, ID: id, Payload: raw, Part: part, Parts: parts}, after, true
}

// leadingJSON decodes one JSON value that must start right at s[0] with open, and
// returns its bytes and what follows it.
func leadingJSON(s string, open byte) (json.RawMessage, string, bool) {
	if len(s) == 0 || s[0] != open {
		return nil, "", false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, "", false
	}
	n := int(dec.InputOffset())
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, "", false
	}
	return json.RawMessage(buf.Bytes()), s[n:], true
}

func validID(s string) bool {
	if s == "" || len(s) > maxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validNonce is the addon's rule for MGM_Ping nonces: 1–64 of letters, digits, -_.:
func validNonce(s string) bool {
	if s == "" || len(s) > maxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '.' || c == ':') && !validID(string(c)) {
			return false
		}
	}
	return true
}
