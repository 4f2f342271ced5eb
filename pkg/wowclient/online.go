package wowclient

// Who is online on the simulated server, and its side of chat: what it does with a line
// sent (whispers, say), /who and its answer.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mimiron/mgm/pkg/domain"
)

// SetOnline replaces the server's online list with level-80 characters of these names.
func (c *Client) SetOnline(names ...string) {
	ps := make([]Player, 0, len(names))
	for _, n := range names {
		ps = append(ps, Player{Name: n})
	}
	c.SetOnlinePlayers(ps...)
}

// SetOnlinePlayers replaces the server's online list.
func (c *Client) SetOnlinePlayers(ps ...Player) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.online = nil
	for _, p := range ps {
		if p.Level == 0 {
			p.Level = 80
		}
		if p.Race == "" {
			p.Race = "Human"
		}
		if p.Class == "" {
			p.Class = "Warrior"
		}
		if p.Zone == "" {
			p.Zone = "Dalaran"
		}
		if p.Faction == "" {
			p.Faction = c.opts.Faction
		}
		c.online = append(c.online, p)
	}
}

func (c *Client) isOnline(name string) bool {
	if domain.SameName(stripRealm(name), c.opts.Player) {
		return true
	}
	for _, p := range c.online {
		if domain.SameName(stripRealm(name), p.Name) {
			return true
		}
	}
	return false
}

func stripRealm(name string) string {
	if i := strings.IndexByte(name, '-'); i >= 0 {
		return name[:i]
	}
	return name
}

// DropWhoQueries makes the server ignore the next n /who queries (lag, lost packets).
func (c *Client) DropWhoQueries(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.whoDrop = n
}

// WhoQueries are the /who queries sent so far.
func (c *Client) WhoQueries() []WhoQuery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]WhoQuery(nil), c.whoQs...)
}

// Whisper delivers a whisper from a simulated player (CHAT_MSG_WHISPER).
func (c *Client) Whisper(from, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	c.fireChat("CHAT_MSG_WHISPER", text, from)
	return nil
}

// SentWhispers are the whispers the character sent.
func (c *Client) SentWhispers() []Whisper {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Whisper(nil), c.whispers...)
}

func (c *Client) sendChat(msg, kind, target string) {
	if !c.canSpeak(kind) {
		return
	}
	switch kind {
	case "WHISPER":
		target = stripRealm(strings.TrimSpace(target))
		online := c.isOnline(target)
		c.whispers = append(c.whispers, Whisper{To: target, Text: msg, At: c.now, Delivered: online})
		if !online {
			c.fireChat("CHAT_MSG_SYSTEM", fmt.Sprintf(c.gs("ERR_CHAT_PLAYER_NOT_FOUND_S"), target), "")
			return
		}
		c.fireChat("CHAT_MSG_WHISPER_INFORM", msg, target)
		if domain.SameName(target, c.opts.Player) {
			c.fireChat("CHAT_MSG_WHISPER", msg, c.opts.Player)
		}
	case "SAY":
		c.fireChat("CHAT_MSG_SAY", msg, c.opts.Player)
	default:
		c.fireChat("CHAT_MSG_"+kind, msg, c.opts.Player)
	}
}

// sendWho is the server side of /who: at most one query per WhoThrottle is answered; a
// throttled query is silently dropped, never answered. The 3.3.5 cores we read have no
// throttle (azerothcore/azerothcore-wotlk@029fb58
// src/server/game/Handlers/MiscHandler.cpp:212 HandleWhoOpcode answers every query), but
// cores for later clients return silently from HandleWhoOpcode when asked again too soon
// (a TrinityCore fork in the code corpus: "if (now - timeLastWhoCommand <
// sWorld->getIntConfig(CONFIG_WHO_OPCODE_INTERVAL)) return;", WhoOpcodeInterval default
// 15 s; its repository is not named by the index); Blizzard's own servers are unknown, so
// the stricter rule is modelled. The default 5 s is settable (Options.WhoThrottle);
// tests also run the addon at 15 s.
func (c *Client) sendWho(filter string) {
	q := WhoQuery{Filter: filter, At: c.now}
	switch {
	case c.whoDrop > 0:
		c.whoDrop--
	case c.whoHas && c.now.Sub(c.whoLast) < c.opts.WhoThrottle:
	default:
		q.Answered = true
		c.whoHas, c.whoLast = true, c.now
		res := c.matchWho(filter)
		c.after(c.opts.WhoLatency, func() {
			if !c.loggedIn {
				return
			}
			c.whoRes = res
			// Results go to the UI (WHO_LIST_UPDATE) when SetWhoToUI(1) is set — the Who
			// panel sets it while shown (FrameXML/FriendsFrame.xml:2635-2643) — or when
			// there are more than three; then the client opens the Who panel itself
			// (unknown how: FriendsFrame's own WHO_LIST_UPDATE handler only refreshes
			// the list, FrameXML/FriendsFrame.lua:1226-1228). Otherwise they are
			// printed as system lines.
			if c.whoToUI {
				c.fire("WHO_LIST_UPDATE")
				return
			}
			if len(res) > 3 {
				c.fire("WHO_LIST_UPDATE")
				if w := c.widgetByName("FriendsFrame"); w != nil {
					w.show()
				}
				return
			}
			for _, p := range res {
				line := fmt.Sprintf(c.gs("WHO_LIST_FORMAT"), p.Name, p.Name, p.Level, p.Race, p.Class, p.Zone)
				if p.Guild != "" {
					line = fmt.Sprintf(c.gs("WHO_LIST_GUILD_FORMAT"), p.Name, p.Name, p.Level, p.Race, p.Class, p.Guild, p.Zone)
				}
				c.fireChat("CHAT_MSG_SYSTEM", line, "")
			}
			c.fireChat("CHAT_MSG_SYSTEM", plural(fmt.Sprintf(c.gs("WHO_NUM_RESULTS"), len(res)), len(res)), "")
		})
	}
	c.whoQs = append(c.whoQs, q)
}

// whoQuery is what the client sends for a /who filter (CMSG_WHO).
type whoQuery struct {
	minLevel, maxLevel int
	name, guild        string
	zones              []string // zone filters ("" matches no zone)
	races, classes     []string
	words              []string
}

// parseWho is the client's own parse of a /who filter, as a reconstruction of the 3.3.5a
// client's FriendList::SendWho has it (found in the search tool's code corpus, file id
// 67249620267; the index does not name its repository; no other source found): the filter is cut into at most four words
// (quotes toggle, "'" or "\""); a word that starts with one of the locale's tags
// (WHO_TAG_NAME, _GUILD, _ZONE, _RACE, _CLASS — compared byte for byte, so only the
// client's own locale's tags count) sets that field; a level or level range sets the
// levels; anything else is a free word. StripQuotes removes quotes only around a whole
// word, so a foreign tag like `n-"Name"` stays a free word, quotes included.
func (c *Client) parseWho(filter string) whoQuery {
	q := whoQuery{maxLevel: 100}
	words := splitWhoWords(filter)
	for _, word := range words {
		switch {
		case strings.HasPrefix(word, c.gs("WHO_TAG_NAME")):
			q.name = stripQuotes(word[len(c.gs("WHO_TAG_NAME")):])
		case strings.HasPrefix(word, c.gs("WHO_TAG_GUILD")):
			q.guild = stripQuotes(word[len(c.gs("WHO_TAG_GUILD")):])
		case strings.HasPrefix(word, c.gs("WHO_TAG_ZONE")):
			q.zones = append(q.zones, stripQuotes(word[len(c.gs("WHO_TAG_ZONE")):]))
		case strings.HasPrefix(word, c.gs("WHO_TAG_RACE")):
			q.races = append(q.races, stripQuotes(word[len(c.gs("WHO_TAG_RACE")):]))
		case strings.HasPrefix(word, c.gs("WHO_TAG_CLASS")):
			q.classes = append(q.classes, stripQuotes(word[len(c.gs("WHO_TAG_CLASS")):]))
		default:
			if lo, hi, ok := levelRange(stripQuotes(word)); ok {
				q.minLevel, q.maxLevel = lo, hi
				continue
			}
			if len(q.words) < 4 {
				q.words = append(q.words, stripQuotes(word))
			}
		}
	}
	return q
}

func splitWhoWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s + " " {
		if r == '"' || r == '\'' {
			quoted = !quoted
		}
		if !quoted && (r == ' ' || r == '\t') {
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	return out
}

func stripQuotes(w string) string {
	if len(w) >= 2 && (w[0] == '"' || w[0] == '\'') && (w[len(w)-1] == '"' || w[len(w)-1] == '\'') {
		return w[1 : len(w)-1]
	}
	return w
}

// matchWho answers a /who the way WorldSession::HandleWhoOpcode does
// (azerothcore/azerothcore-wotlk@029fb58 src/server/game/Handlers/MiscHandler.cpp:212-416;
// a 2011 TrinityCore copy in the code corpus reads the same): the name and guild match as
// case-insensitive substrings (wstrToLower + find, :353-363), a free word matches if it is
// in the name, the guild or the zone name (:371-391), characters of the other faction are
// left out ("player can see member of other team only if CONFIG_ALLOW_TWO_SIDE_WHO_LIST",
// off by default, :292-296), at most 49 results (CONFIG_MAX_WHO_LIST_RETURN, :393-398).
func (c *Client) matchWho(filter string) []Player {
	q := c.parseWho(filter)
	has := func(s, sub string) bool { return strings.Contains(domain.FoldName(s), domain.FoldName(sub)) }
	anyOf := func(s string, subs []string) bool {
		for _, x := range subs {
			if has(s, x) {
				return true
			}
		}
		return len(subs) == 0
	}
	var out []Player
	for _, p := range c.online {
		if p.Faction != c.opts.Faction {
			continue
		}
		if p.Level < q.minLevel || p.Level > q.maxLevel {
			continue
		}
		if q.name != "" && !has(p.Name, q.name) || q.guild != "" && !has(p.Guild, q.guild) {
			continue
		}
		if !anyOf(p.Zone, q.zones) || !anyOf(p.Race, q.races) || !anyOf(p.Class, q.classes) {
			continue
		}
		if len(q.words) > 0 {
			ok := false
			for _, w := range q.words {
				ok = ok || has(p.Name, w) || has(p.Guild, w) || has(p.Zone, w)
			}
			if !ok {
				continue
			}
		}
		out = append(out, p)
		if len(out) == 49 {
			break
		}
	}
	return out
}

func levelRange(s string) (int, int, bool) {
	if s == "" || (s[0] < '0' || s[0] > '9') && s[0] != '-' {
		return 0, 0, false
	}
	a, b, isRange := strings.Cut(s, "-")
	if a == "" {
		a = "0"
	}
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	if !isRange {
		return lo, lo, true
	}
	hi, err := strconv.Atoi(b)
	if err != nil {
		return 0, 0, false
	}
	return lo, hi, true
}

// WhoToUI is the SetWhoToUI flag as last set.
func (c *Client) WhoToUI() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.whoToUI
}
