package inject

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// How a command reaches the addon (addon/MimironsGoldOMatic/Command.lua,
// docs/product.md §9 "Typed is not delivered"): the command key opens the addon's private
// command box, then the command is typed as characters, CommandStart + "<id> <call>" +
// CommandEnd; the addon runs it once per id and prints [MGM_ACK:<id>]. The probe key is
// the bridge self-test: the addon answers [MGM_PONG:<session>-<n>] and does nothing else.
// Enter is never pressed: it would send a chat line the streamer had half typed.
const (
	KeyCommand   = "SCROLLLOCK"
	KeyProbe     = "PAUSE"
	CommandStart = "`MGM`"
	CommandEnd   = "`"
)

// Call is a call of one of the addon's functions as it is typed: printable ASCII only.
type Call string

// luaString quotes s as a Lua string literal made of printable ASCII only: every other
// byte is a \ddd escape, so UTF-8 (Cyrillic names) survives a Windows whose ANSI code
// page would turn the characters into '?' (docs/product.md §9), and the quote, the
// backslash, the command box's end mark "`" and the chat escape "|" are escaped too.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch < 0x20 || ch >= 0x7f || ch == '`' || ch == '|':
			fmt.Fprintf(&b, `\%03d`, ch)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func call(fn string, args ...string) Call {
	return Call(fn + "(" + strings.Join(args, ",") + ")")
}

// RunWho asks the addon to /who the candidate of a spin cycle.
func RunWho(spinCycleID, name string) Call {
	return call("MGM_RunWhoForSpin", luaString(spinCycleID), luaString(name))
}

// NotifyWinner asks the addon to whisper the winner the consent text.
func NotifyWinner(payoutID, name string) Call {
	return call("NotifyWinnerWhisper", luaString(payoutID), luaString(name))
}

// Ping asks the addon for [MGM_PONG:<nonce>].
func Ping(nonce string) Call {
	return call("MGM_Ping", luaString(nonce))
}

// Pair asks the addon to agree on a new key with the Desktop (pkg/tagsig): nonce names
// the pairing, desktopPub is the Desktop's X25519 public key (hex).
func Pair(nonce, desktopPub string) Call {
	return call("MGM_Pair", luaString(nonce), luaString(desktopPub))
}

// RequestGiftItems asks the addon to list giftable bag items.
func RequestGiftItems(id string) Call {
	return call("MGM_RequestGiftItems", luaString(id))
}

// RequestGiftConfirmation asks the addon to whisper the recipient of a gift the consent
// request; once they answer !twgift the addon queues the gift mail: count of itemID (the
// count the item list showed, stacks summed). A count below 1 is left out (the addon then
// attaches one stack).
func RequestGiftConfirmation(id, name string, itemID int64, count int) Call {
	if count < 1 {
		return call("MGM_RequestGiftConfirmation", luaString(id), luaString(name), fmt.Sprint(itemID))
	}
	return call("MGM_RequestGiftConfirmation", luaString(id), luaString(name), fmt.Sprint(itemID), fmt.Sprint(count))
}

// CancelGift asks the addon to drop a gift: its pending consent and its queued mail.
func CancelGift(id string) Call {
	return call("MGM_CancelGift", luaString(id))
}

// GoldEntry is one payout to queue in the addon's mail panel.
type GoldEntry struct {
	PayoutID      string
	CharacterName string
	Copper        int64
}

func (e GoldEntry) String() string {
	return fmt.Sprintf("%s:%s:%d", e.PayoutID, e.CharacterName, e.Copper)
}

// MaxIDBytes bounds a command id (the addon takes 1-24 letters and digits).
const MaxIDBytes = 24

// ErrTooLong is a command that does not fit one typed line.
var ErrTooLong = errors.New("command longer than one typed line")

// CommandText is what is typed for a command after the command key. It is at most
// MaxLineBytes of printable ASCII, counted as typed (an escaped byte counts four).
func CommandText(id string, c Call) (string, error) {
	if id == "" || len(id) > MaxIDBytes || strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		return "", fmt.Errorf("command id %q: 1-%d letters and digits", id, MaxIDBytes)
	}
	text := CommandStart + id + " " + string(c) + CommandEnd
	if err := CheckTyped(text); err != nil {
		return "", err
	}
	return text, nil
}

// CheckTyped refuses what cannot be typed as one command: more than MaxLineBytes, or
// anything but printable ASCII.
func CheckTyped(text string) error {
	if len(text) > MaxLineBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(text), MaxLineBytes)
	}
	for i := 0; i < len(text); i++ {
		if text[i] < 0x20 || text[i] >= 0x7f {
			return fmt.Errorf("typed text holds a byte that is not printable ASCII (%#x)", text[i])
		}
	}
	return nil
}

const (
	receiveGoldOpen  = `ReceiveGold("`
	receiveGoldClose = `")`
)

// ReceiveGold builds the ReceiveGold("<id>:<Name>:<copper>;…") calls for entries, as few
// as fit one typed command with an id of MaxIDBytes each, counted as typed (a Cyrillic
// letter is two bytes, each typed as a four-character escape). Calls are cut between
// entries only, so neither an entry nor a letter is ever split.
func ReceiveGold(entries []GoldEntry) ([]Call, error) {
	budget := MaxLineBytes - len(CommandStart) - MaxIDBytes - 1 - len(receiveGoldOpen) - len(receiveGoldClose) - len(CommandEnd)
	var calls []Call
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			calls = append(calls, Call(receiveGoldOpen+cur.String()+receiveGoldClose))
			cur.Reset()
		}
	}
	for _, e := range entries {
		s := e.String()
		if strings.ContainsAny(s, `";\|`+"`\n\r") || strings.Count(s, ":") != 2 || !utf8.ValidString(s) {
			return nil, fmt.Errorf("payout %s: entry %q cannot be typed", e.PayoutID, s)
		}
		typed := luaString(s)
		typed = typed[1 : len(typed)-1]
		if len(typed) > budget {
			return nil, fmt.Errorf("payout %s: entry is %d bytes as typed, more than a command holds", e.PayoutID, len(typed))
		}
		sep := 0
		if cur.Len() > 0 {
			sep = 1
		}
		if cur.Len()+sep+len(typed) > budget {
			flush()
			sep = 0
		}
		if sep == 1 {
			cur.WriteByte(';')
		}
		cur.WriteString(typed)
	}
	flush()
	return calls, nil
}

// Stroke is one window message to the game: a key press (Key, a WoW key name) or one
// character (Char, a UTF-16 code unit, sent as WM_CHAR).
type Stroke struct {
	Key  string
	Char uint16
}

// CommandStrokes are the strokes of one command: the command key, then text.
func CommandStrokes(text string) []Stroke {
	out := []Stroke{{Key: KeyCommand}}
	for _, r := range text {
		out = append(out, Stroke{Char: uint16(r)})
	}
	return out
}

// ProbeStrokes are the strokes of the bridge self-test: the probe key alone.
func ProbeStrokes() []Stroke { return []Stroke{{Key: KeyProbe}} }
