package tags

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/tagsig"
)

// Origin says where in the chat log a tag line came from.
type Origin int

const (
	// FromAddon is a line that begins with the tag right after the log's timestamp: the
	// addon's own DEFAULT_CHAT_FRAME:AddMessage output (emit mode "chatframe").
	FromAddon Origin = iota + 1
	// WhisperTo is "To <Peer>: <tag>", a whisper the streamer's own client sent (emit
	// mode "whisper" whispers each tag to oneself).
	WhisperTo
	// WhisperFrom is "<Peer> whispers: <tag>", a whisper received from Peer.
	WhisperFrom
)

func (o Origin) String() string {
	switch o {
	case FromAddon:
		return "addon output"
	case WhisperTo:
		return "whisper sent"
	case WhisperFrom:
		return "whisper received"
	}
	return "unknown"
}

// Line is a tag line as Read found it.
type Line struct {
	Origin Origin
	// Peer is the other end of a whisper (WhisperTo, WhisperFrom).
	Peer string
	Tag  Tag
	// Text is the tag's exact text, what its signature covers.
	Text string
	// KeyID and MAC are the signature's; both "" when the tag is not signed.
	KeyID, MAC string
}

// Signed reports whether the tag carried a signature.
func (l Line) Signed() bool { return l.MAC != "" }

// ErrNoTag is Read's answer for a line that holds no "[MGM_" at all (ordinary chat).
var ErrNoTag = errors.New("tags: no tag in the line")

// RefusedError is Read's answer for a line that holds "[MGM_" but is not a tag line of
// the addon's: the reason says why, for the event log.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

func refused(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

// Read reads one chat log line. The grammar is strict; a line that is not exactly one of
// these is refused:
//
//	line   = stamp "  " body
//	stamp  = M "/" D " " hh ":" mm ":" ss "." mmm      (M and D one or two digits)
//	body   = tagged                                     (FromAddon)
//	       | to name ": " tagged                        (WhisperTo; to = "To " in enUS)
//	       | name from tagged                           (WhisperFrom; from = " whispers: ")
//	name   = Name | "[" Name "]" | "|Hplayer:" Name [":" …] "|h[" Name "]|h"
//	tagged = tag [ "[MGM_SIG:" keyid ":" mac "]" ]      (nothing before or after)
//
// Evidence for the forms (see also pkg/wowclient/world.go, which writes them):
//   - The stamp is what pkg/wowclient writes ("M/D HH:MM:SS.mmm" and two spaces), the
//     format the client's combat log uses too (Solannae/CombatLogParser
//     Custom_WoL/Program.cs splits WoWCombatLog.txt lines on two spaces and reads
//     "M/D H:M:S.ms"); that the 3.3.5a chat log uses the same is not verified.
//   - Whispers: tekkub/wow-ui-source@3.3.5 FrameXML/GlobalStrings.lua:1600-1601
//     (CHAT_WHISPER_GET "%s whispers: ", CHAT_WHISPER_INFORM_GET "To %s: "), with the name
//     as the chat frame shows it, FrameXML/ChatFrame.lua:2896,2917
//     ("|Hplayer:Name:lineID…|h[Name]|h"). Whether the log keeps the link, only the
//     bracketed name or the bare name is unknown: all three are read, with the name
//     checked by the caller, so none lets anyone else in.
//   - Every other chat type starts with something that is not a tag: "%s says: ",
//     "%s yells: " (GlobalStrings.lua:1570,1607), "[Guild] %s: ", "[Party] %s: "
//     (GlobalStrings.lua:1436,1536), a channel "[N. Name] %s: " (ChatFrame.lua:2929),
//     emotes "%s …" (GlobalStrings.lua:1428), system lines. A player's name cannot start
//     a line with "[MGM_": WoW names are letters only, and even a name like
//     "MGM_CONFIRM:x" shown as "[MGM_CONFIRM:x] says: …" fails here, because nothing may
//     follow the tag but its signature.
//   - An AFK/DND flag or a GM icon before a whisper's name (ChatFrame.lua:2851-2867) is not
//     accepted: the whisper-to-oneself is also logged as "To <Name>:", which has none.
//
// A line without "[MGM_" is ErrNoTag; any other failure is a *RefusedError.
func Read(line string) (Line, error) {
	if !strings.Contains(line, marker) {
		return Line{}, ErrNoTag
	}
	body, ok := cutStamp(line)
	if !ok {
		return Line{}, refused("no chat log timestamp at the start of the line")
	}
	var l Line
	switch {
	case strings.HasPrefix(body, marker):
		l.Origin = FromAddon
	default:
		if to, ok := cutPrefix(body, whisperToPrefixes); ok {
			name, rest, ok := cutName(to, ": ")
			if !ok {
				return Line{}, refused("not the addon's own line (a whisper whose recipient cannot be read)")
			}
			l.Origin, l.Peer, body = WhisperTo, name, rest
			break
		}
		var name, rest string
		ok := false
		for _, sep := range whisperFromSeparators {
			if name, rest, ok = cutName(body, sep); ok {
				break
			}
		}
		if !ok {
			return Line{}, refused("not the addon's own line: someone's chat (%s)", domain.Excerpt(body, 60))
		}
		l.Origin, l.Peer, body = WhisperFrom, name, rest
	}
	if !strings.HasPrefix(body, marker) {
		return Line{}, refused("a %s with a tag that does not start the message", l.Origin)
	}
	text := body
	if tag, id, mac, signed := tagsig.Split(body); signed {
		text, l.KeyID, l.MAC = tag, id, mac
	}
	t, rest, ok := ParseTag(text)
	if !ok {
		return Line{}, refused("malformed tag (%s)", domain.Excerpt(text, 60))
	}
	if rest != "" {
		return Line{}, refused("text after the tag (%s)", domain.Excerpt(rest, 60))
	}
	l.Tag, l.Text = t, text
	return l, nil
}

// The whisper forms of the client's languages: enUS from GlobalStrings.lua:1600-1601
// (CHAT_WHISPER_GET "%s whispers: ", CHAT_WHISPER_INFORM_GET "To %s: "). ruRU: UNKNOWN —
// no ruRU GlobalStrings.lua of 3.3.5 is in the reference material; pkg/wowclient
// (locale.go) writes "%s шепчет: " and "Вы шепчете %s: ", and a parser of Russian logs of
// a later client reads "Кому %s: " too, so all are accepted (the name is still checked
// against the streamer's character and the signature against the key).
var (
	whisperToPrefixes     = []string{"To ", "Вы шепчете ", "Кому "}
	whisperFromSeparators = []string{" whispers: ", " шепчет: "}
)

func cutPrefix(s string, prefixes []string) (string, bool) {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return s[len(p):], true
		}
	}
	return "", false
}

// cutStamp cuts "M/D hh:mm:ss.mmm  " off the start of line.
func cutStamp(line string) (string, bool) {
	_, rest, ok := parseStamp(line)
	return rest, ok
}

// parseStamp reads "M/D hh:mm:ss.mmm  " at the start of line: month, day, hour, minute,
// second, millisecond, and what follows.
func parseStamp(line string) ([6]int, string, bool) {
	var f [6]int
	i := 0
	digits := func(min, max int) (int, bool) {
		n, v := 0, 0
		for i < len(line) && n < max && line[i] >= '0' && line[i] <= '9' {
			v = v*10 + int(line[i]-'0')
			i++
			n++
		}
		return v, n >= min
	}
	lit := func(s string) bool {
		if !strings.HasPrefix(line[i:], s) {
			return false
		}
		i += len(s)
		return true
	}
	seps := []string{"/", " ", ":", ":", ".", "  "}
	sizes := [][2]int{{1, 2}, {1, 2}, {2, 2}, {2, 2}, {2, 2}, {3, 3}}
	for k := range f {
		v, ok := digits(sizes[k][0], sizes[k][1])
		if !ok || !lit(seps[k]) {
			return f, "", false
		}
		f[k] = v
	}
	return f, line[i:], true
}

// Stamp is the time a chat log line was written, from its timestamp: the client writes
// the PC's local time without a year, so the year is the one that puts the instant
// nearest to now (loc is the PC's time zone; the Desktop runs on the same PC).
func Stamp(line string, now time.Time, loc *time.Location) (time.Time, bool) {
	f, _, ok := parseStamp(line)
	if !ok || f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60 {
		return time.Time{}, false
	}
	now = now.In(loc)
	best := time.Time{}
	for _, y := range []int{now.Year() - 1, now.Year(), now.Year() + 1} {
		t := time.Date(y, time.Month(f[0]), f[1], f[2], f[3], f[4], f[5]*int(time.Millisecond), loc)
		if best.IsZero() || absDur(t.Sub(now)) < absDur(best.Sub(now)) {
			best = t
		}
	}
	return best, true
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// cutName reads a name form (bare, bracketed or a player link) followed by sep.
func cutName(s, sep string) (name, rest string, ok bool) {
	switch {
	case strings.HasPrefix(s, "|Hplayer:"):
		link, after, found := strings.Cut(s[len("|Hplayer:"):], "|h[")
		if !found {
			return "", "", false
		}
		shown, after, found := strings.Cut(after, "]|h")
		linked, _, _ := strings.Cut(link, ":")
		if !found || linked != shown || !validName(shown) || !strings.HasPrefix(after, sep) {
			return "", "", false
		}
		return shown, after[len(sep):], true
	case strings.HasPrefix(s, "["):
		name, after, found := strings.Cut(s[1:], "]")
		if !found || !validName(name) || !strings.HasPrefix(after, sep) {
			return "", "", false
		}
		return name, after[len(sep):], true
	}
	name, after, found := strings.Cut(s, sep)
	if !found || !validName(name) {
		return "", "", false
	}
	return name, after, true
}

// validName is a character name as it can stand in a whisper line: 1–48 bytes of valid
// UTF-8 without spaces, brackets, colons or "|" (WoW names are 2–12 letters; the bound is
// looser so a realm suffix does not make a line unreadable).
func validName(s string) bool {
	if s == "" || len(s) > 48 || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsAny(s, " []:|")
}
