package inject

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// luaString quotes s as a Lua string literal. Ids and names never hold quotes or
// backslashes, but a line typed into the game must not be breakable by its data.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '|': // the chat edit box would read "|" as an escape sequence
			b.WriteString(`\124`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// RunWho asks the addon to /who the candidate of a spin cycle.
func RunWho(spinCycleID, name string) string {
	return fmt.Sprintf("/run MGM_RunWhoForSpin(%s,%s)", luaString(spinCycleID), luaString(name))
}

// NotifyWinner asks the addon to whisper the winner the consent text.
func NotifyWinner(payoutID, name string) string {
	return fmt.Sprintf("/run NotifyWinnerWhisper(%s,%s)", luaString(payoutID), luaString(name))
}

// Ping asks the addon for [MGM_PONG:<nonce>] (the bridge self-test).
func Ping(nonce string) string {
	return fmt.Sprintf("/run MGM_Ping(%s)", luaString(nonce))
}

// Pair asks the addon to agree on a new key with the Desktop (pkg/tagsig): nonce names
// the pairing, desktopPub is the Desktop's X25519 public key in lowercase hex. Nothing
// secret is typed.
func Pair(nonce, desktopPub string) string {
	return fmt.Sprintf("/run MGM_Pair(%s,%s)", luaString(nonce), luaString(desktopPub))
}

// RequestGiftItems asks the addon to list giftable bag items.
func RequestGiftItems(id string) string {
	return fmt.Sprintf("/run MGM_RequestGiftItems(%s)", luaString(id))
}

// RequestGiftConfirmation asks the addon to whisper the recipient of a gift the consent
// request; once they answer !twgift the addon queues the gift mail: count of itemID (the
// count the item list showed, stacks summed). A count below 1 is left out (the addon then
// attaches one stack).
func RequestGiftConfirmation(id, name string, itemID int64, count int) string {
	if count < 1 {
		return fmt.Sprintf("/run MGM_RequestGiftConfirmation(%s,%s,%d)", luaString(id), luaString(name), itemID)
	}
	return fmt.Sprintf("/run MGM_RequestGiftConfirmation(%s,%s,%d,%d)", luaString(id), luaString(name), itemID, count)
}

// CancelGift asks the addon to drop a gift: its pending consent and its queued mail.
func CancelGift(id string) string {
	return fmt.Sprintf("/run MGM_CancelGift(%s)", luaString(id))
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

const (
	receiveGoldOpen  = `/run ReceiveGold("`
	receiveGoldClose = `")`
)

// ReceiveGold builds the /run ReceiveGold("<id>:<Name>:<copper>;…") lines for entries,
// as few as fit, each at most 255 bytes of UTF-8. Lines are cut between entries only, so
// neither an entry nor a letter is ever split (the original cut by characters, and a
// Cyrillic name is two bytes a letter).
func ReceiveGold(entries []GoldEntry) ([]string, error) {
	budget := MaxLineBytes - len(receiveGoldOpen) - len(receiveGoldClose)
	var lines []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			lines = append(lines, receiveGoldOpen+cur.String()+receiveGoldClose)
			cur.Reset()
		}
	}
	for _, e := range entries {
		s := e.String()
		if strings.ContainsAny(s, `";\|`+"\n\r") || strings.Count(s, ":") != 2 || !utf8.ValidString(s) {
			return nil, fmt.Errorf("payout %s: entry %q cannot be typed", e.PayoutID, s)
		}
		if len(s) > budget {
			return nil, fmt.Errorf("payout %s: entry is %d bytes, more than a line holds", e.PayoutID, len(s))
		}
		sep := 0
		if cur.Len() > 0 {
			sep = 1
		}
		if cur.Len()+sep+len(s) > budget {
			flush()
			sep = 0
		}
		if sep == 1 {
			cur.WriteByte(';')
		}
		cur.WriteString(s)
	}
	flush()
	return lines, nil
}
