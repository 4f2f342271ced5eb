// Package state is the gateway's edge of the shared state: the state route's encoding
// (AppendJSON) and the cache of GET /api/pool/me answers (Members). The state itself
// is computed in pkg/sharedstate, which helix-notifier's panel push reads too.
package state

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mimiron/mgm/pkg/sharedstate"
)

// AppendJSON appends s as JSON, byte for byte what encoding/json writes, without
// reflection: the state route is the panel's poll and is served from memory, so its
// cost is mostly this encoding.
func AppendJSON(b []byte, s sharedstate.State) []byte {
	b = append(b, `{"nextSpinAt":"`...)
	b = s.NextSpinAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","serverNow":"`...)
	b = s.ServerNow.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","spinIntervalSeconds":`...)
	b = strconv.AppendInt(b, int64(s.SpinIntervalSeconds), 10)
	b = append(b, `,"poolParticipantCount":`...)
	b = strconv.AppendInt(b, int64(s.PoolParticipantCount), 10)
	b = append(b, `,"spinPhase":`...)
	b = appendString(b, s.SpinPhase)
	b = append(b, `,"currentSpinCycleId":`...)
	b = appendString(b, s.CurrentSpinCycleID)
	b = append(b, `,"lastSpin":`...)
	if s.LastSpin == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"spinCycleId":`...)
		b = appendString(b, s.LastSpin.SpinCycleID)
		b = append(b, `,"outcome":`...)
		b = appendString(b, s.LastSpin.Outcome)
		b = append(b, `,"characterName":`...)
		if s.LastSpin.CharacterName == nil {
			b = append(b, "null"...)
		} else {
			b = appendString(b, *s.LastSpin.CharacterName)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

const hex = "0123456789abcdef"

// appendString appends a JSON string the way encoding/json escapes it (HTML-safe,
// invalid UTF-8 replaced, U+2028/U+2029 escaped).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
