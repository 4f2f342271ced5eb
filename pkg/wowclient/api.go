package wowclient

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/mimiron/mgm/pkg/domain"
)

//go:embed framexml.lua
var frameXML string

// newState builds a fresh UI: the Lua 5.1 libraries WoW ships (no io, os, package, dofile,
// loadfile), the 3.3.5a API subset below, and framexml.lua (stand-ins for the Blizzard
// frames the addon touches: chat frame, mailbox, Who panel, tooltip).
func (c *Client) newState() {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	c.openBit(L) // bitlib.go
	for _, name := range []string{"dofile", "loadfile", "module", "require", "_printregs"} {
		L.SetGlobal(name, lua.LNil)
	}
	// WoW's Lua folds case in the C locale: ASCII only. gopher-lua's folds Unicode, which
	// would hide exactly the bug an addon must not have (Cyrillic names compared raw).
	strlib := L.GetGlobal("string").(*lua.LTable)
	strlib.RawSetString("lower", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(asciiCase(L.CheckString(1), 'A', 'Z', 'a'-'A')))
		return 1
	}))
	strlib.RawSetString("upper", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(asciiCase(L.CheckString(1), 'a', 'z', 'A'-'a')))
		return 1
	}))
	strlib.RawSetString("format", L.NewFunction(luaFormat)) // strformat.go: Lua 5.1's, not Go's
	c.L = L
	c.ns = nil
	c.widgets = nil
	c.byEvent = map[string][]*widget{}
	c.buildMetas()
	c.focus = nil
	c.overrides = map[string][]override{}
	for _, set := range []map[string]lua.LGFunction{c.api(), c.bindingAPI()} {
		for name, fn := range set {
			L.SetGlobal(name, L.NewFunction(fn))
		}
	}
	c.setGlobalStrings()
	if err := L.DoString(frameXML); err != nil {
		panic("wowclient: framexml.lua: " + err.Error())
	}
}

func (c *Client) api() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"CreateFrame": func(L *lua.LState) int {
			typ := L.CheckString(1)
			if !frameTypes[typ] {
				L.RaiseError("CreateFrame: Unknown frame type '%s'", typ)
			}
			var parent *widget
			if t, ok := L.Get(3).(*lua.LTable); ok {
				parent = widgetOf(t)
			}
			L.Push(c.newWidget(typ, L.OptString(2, ""), parent).tbl)
			return 1
		},
		"GetTime": func(L *lua.LState) int {
			L.Push(lua.LNumber(float64(c.now.Sub(c.boot).Milliseconds()) / 1000))
			return 1
		},
		"time": func(L *lua.LState) int {
			if t, ok := L.Get(1).(*lua.LTable); ok {
				get := func(k string, d int) int {
					if n, ok := t.RawGetString(k).(lua.LNumber); ok {
						return int(n)
					}
					return d
				}
				tm := time.Date(get("year", 1970), time.Month(get("month", 1)), get("day", 1), get("hour", 12), get("min", 0), get("sec", 0), 0, c.opts.Location)
				L.Push(lua.LNumber(tm.Unix()))
				return 1
			}
			L.Push(lua.LNumber(c.now.Unix()))
			return 1
		},
		"date": func(L *lua.LState) int {
			f := L.OptString(1, "%c")
			t := c.now
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				t = time.Unix(int64(L.CheckNumber(2)), 0)
			}
			t = t.In(c.opts.Location)
			if strings.HasPrefix(f, "!") {
				f = f[1:]
				t = t.UTC()
			}
			if f == "*t" {
				tb := L.NewTable()
				for k, v := range map[string]int{"year": t.Year(), "month": int(t.Month()), "day": t.Day(), "hour": t.Hour(),
					"min": t.Minute(), "sec": t.Second(), "wday": int(t.Weekday()) + 1, "yday": t.YearDay()} {
					tb.RawSetString(k, lua.LNumber(v))
				}
				tb.RawSetString("isdst", lua.LFalse)
				L.Push(tb)
				return 1
			}
			L.Push(lua.LString(strftime(f, t)))
			return 1
		},
		"GetLocale":    func(L *lua.LState) int { L.Push(lua.LString(c.opts.Locale)); return 1 },
		"GetRealmName": func(L *lua.LState) int { L.Push(lua.LString(c.opts.Realm)); return 1 },
		"UnitName": func(L *lua.LState) int {
			if strings.EqualFold(L.CheckString(1), "player") {
				L.Push(lua.LString(c.opts.Player))
				L.Push(lua.LNil)
				return 2
			}
			L.Push(lua.LNil)
			return 1
		},
		"GetMoney":  func(L *lua.LState) int { L.Push(lua.LNumber(c.money)); return 1 },
		"PlaySound": func(L *lua.LState) int { return 0 },
		"ReloadUI":  func(L *lua.LState) int { c.wantReload = true; return 0 },
		"GetCursorPosition": func(L *lua.LState) int {
			L.Push(lua.LNumber(512))
			L.Push(lua.LNumber(384))
			return 2
		},
		"LoggingChat": func(L *lua.LState) int {
			if L.GetTop() >= 1 {
				on := L.ToBool(1)
				if c.logging && !on && c.opts.LogFlushOnToggle {
					c.flushLog()
				}
				c.logging = on
			}
			L.Push(luaFlag(c.logging))
			return 1
		},
		// the chat edit box sending a line (ChatEdit_SendText in framexml.lua)
		"__wowclient_chatline": func(L *lua.LState) int {
			// a Lua error in /run is already recorded (the client's error frame)
			_ = c.chatLine(L.CheckString(1))
			return 0
		},
		"__wowclient_error": func(L *lua.LState) int {
			c.errs = append(c.errs, fmt.Errorf("%s", L.ToStringMeta(L.Get(1)).String()))
			return 0
		},

		// chat
		"SendChatMessage": func(L *lua.LState) int {
			msg := L.CheckString(1)
			kind := strings.ToUpper(L.OptString(2, "SAY"))
			target := L.OptString(4, "")
			if len(msg) > MaxLineBytes {
				L.RaiseError("SendChatMessage: message is %d bytes, more than %d", len(msg), MaxLineBytes)
			}
			if strings.Contains(itemLinkRe.ReplaceAllString(msg, ""), "|") {
				L.RaiseError("SendChatMessage: invalid escape code in chat message")
			}
			c.sendChat(msg, kind, target)
			return 0
		},

		// who
		"SetWhoToUI": func(L *lua.LState) int {
			switch v := L.Get(1).(type) {
			case lua.LNumber:
				c.whoToUI = v != 0
			default:
				c.whoToUI = lua.LVAsBool(v)
			}
			return 0
		},
		"SendWho": func(L *lua.LState) int {
			c.sendWho(L.OptString(1, ""))
			return 0
		},
		"GetNumWhoResults": func(L *lua.LState) int {
			L.Push(lua.LNumber(len(c.whoRes)))
			L.Push(lua.LNumber(len(c.whoRes)))
			return 2
		},
		"GetWhoInfo": func(L *lua.LState) int {
			i := L.CheckInt(1)
			if i < 1 || i > len(c.whoRes) {
				return 0
			}
			p := c.whoRes[i-1]
			for _, v := range []lua.LValue{lua.LString(p.Name), lua.LString(p.Guild), lua.LNumber(p.Level), lua.LString(p.Race),
				lua.LString(p.Class), lua.LString(p.Zone), lua.LString(strings.ToUpper(p.Class))} {
				L.Push(v)
			}
			return 7
		},

		// bags and cursor
		"GetContainerNumSlots": func(L *lua.LState) int {
			b := L.CheckInt(1)
			n := 0
			if b >= 0 && b < len(c.bags) {
				n = len(c.bags[b])
			}
			L.Push(lua.LNumber(n))
			return 1
		},
		"GetContainerItemLink": func(L *lua.LState) int {
			if it := c.bagItem(L.CheckInt(1), L.CheckInt(2)); it != nil {
				L.Push(lua.LString(itemLink(*it)))
				return 1
			}
			L.Push(lua.LNil)
			return 1
		},
		"GetContainerItemID": func(L *lua.LState) int {
			if it := c.bagItem(L.CheckInt(1), L.CheckInt(2)); it != nil {
				L.Push(lua.LNumber(it.ID))
				return 1
			}
			L.Push(lua.LNil)
			return 1
		},
		"GetContainerItemInfo": func(L *lua.LState) int {
			b, s := L.CheckInt(1), L.CheckInt(2)
			it := c.bagItem(b, s)
			if it == nil {
				return 0
			}
			L.Push(lua.LString(`Interface\Icons\INV_Misc_QuestionMark`))
			L.Push(lua.LNumber(it.Count))
			L.Push(luaFlag(c.locked(b, s)))
			L.Push(lua.LNumber(it.Quality))
			L.Push(lua.LNil)
			L.Push(lua.LNil)
			L.Push(lua.LString(itemLink(*it)))
			return 7
		},
		"GetItemInfo": func(L *lua.LState) int {
			it, ok := c.itemFromArg(L.ToStringMeta(L.Get(1)).String())
			if !ok {
				return 0
			}
			for _, v := range []lua.LValue{lua.LString(it.Name), lua.LString(itemLink(it)), lua.LNumber(it.Quality), lua.LNumber(1),
				lua.LNumber(0), lua.LString(it.Class), lua.LString(it.Class), lua.LNumber(20), lua.LString(""),
				lua.LString(`Interface\Icons\INV_Misc_QuestionMark`), lua.LNumber(0)} {
				L.Push(v)
			}
			return 11
		},
		"PickupContainerItem": func(L *lua.LState) int {
			b, s := L.CheckInt(1), L.CheckInt(2)
			switch {
			case c.cursor != nil:
				c.cursor = nil // dropped back where it came from
			case c.bagItem(b, s) != nil && !c.locked(b, s):
				c.cursor = &bagRef{b, s}
			}
			return 0
		},
		"CursorHasItem": func(L *lua.LState) int { L.Push(luaFlag(c.cursor != nil)); return 1 },
		"ClearCursor":   func(L *lua.LState) int { c.cursor = nil; return 0 },
		"GetCursorInfo": func(L *lua.LState) int {
			if c.cursor == nil {
				return 0
			}
			it := c.bagItem(c.cursor.bag, c.cursor.slot)
			L.Push(lua.LString("item"))
			L.Push(lua.LNumber(it.ID))
			L.Push(lua.LString(itemLink(*it)))
			return 3
		},

		// mail
		"SetSendMailMoney": func(L *lua.LState) int {
			m := int64(L.CheckNumber(1))
			if m < 0 || m > c.money {
				L.Push(lua.LNil)
				return 1
			}
			c.sendMoney = m
			L.Push(lua.LTrue)
			return 1
		},
		"SetSendMailCOD":   func(L *lua.LState) int { c.sendCOD = int64(L.CheckNumber(1)); return 0 },
		"GetSendMailMoney": func(L *lua.LState) int { L.Push(lua.LNumber(c.sendMoney)); return 1 },
		"ClearSendMail":    func(L *lua.LState) int { c.returnAttachments(); return 0 },
		"ClickSendMailItemButton": func(L *lua.LState) int {
			i := L.OptInt(1, 1)
			if i < 1 || i > len(c.attach) || !c.mailOpen {
				return 0
			}
			if L.ToBool(2) {
				c.attach[i-1] = nil
				return 0
			}
			if c.cursor != nil {
				// as in the client, an item dropped on a filled slot takes its place and
				// the one attached there goes to the cursor
				c.attach[i-1], c.cursor = c.cursor, c.attach[i-1]
				c.fire("MAIL_SEND_INFO_UPDATE")
			}
			return 0
		},
		"GetSendMailItem": func(L *lua.LState) int {
			i := L.OptInt(1, 1)
			if i < 1 || i > len(c.attach) || c.attach[i-1] == nil {
				return 0
			}
			it := c.bagItem(c.attach[i-1].bag, c.attach[i-1].slot)
			L.Push(lua.LString(it.Name))
			L.Push(lua.LString(`Interface\Icons\INV_Misc_QuestionMark`))
			L.Push(lua.LNumber(it.Count))
			L.Push(lua.LNumber(it.Quality))
			return 4
		},
		"GetSendMailItemLink": func(L *lua.LState) int {
			i := L.OptInt(1, 1)
			if i < 1 || i > len(c.attach) || c.attach[i-1] == nil {
				return 0
			}
			L.Push(lua.LString(itemLink(*c.bagItem(c.attach[i-1].bag, c.attach[i-1].slot))))
			return 1
		},
		"SendMail": func(L *lua.LState) int {
			c.sendMail(L.OptString(1, ""), L.OptString(2, ""), L.OptString(3, ""))
			return 0
		},
	}
}

var linkRe = regexp.MustCompile(`\|H[^|]*\|h|\|h`)

// stripLinks shows a line as its text (hyperlink codes removed).
func stripLinks(s string) string { return linkRe.ReplaceAllString(s, "") }

var itemLinkRe = regexp.MustCompile(`\|c[0-9a-fA-F]{8}\|H(item|spell|quest|enchant|achievement|talent|trade)[^|]*\|h\[[^|\]]*\]\|h\|r`)

var qualityColors = []string{"ff9d9d9d", "ffffffff", "ff1eff00", "ff0070dd", "ffa335ee", "ffff8000", "ffe6cc80", "ffe6cc80"}

func itemLink(it Item) string {
	q := it.Quality
	if q < 0 || q >= len(qualityColors) {
		q = 1
	}
	return fmt.Sprintf("|c%s|Hitem:%d:0:0:0:0:0:0:0:80|h[%s]|h|r", qualityColors[q], it.ID, it.Name)
}

var itemIDRe = regexp.MustCompile(`item:(\d+)`)

func (c *Client) itemFromArg(s string) (Item, bool) {
	if m := itemIDRe.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	if id, err := strconv.Atoi(s); err == nil {
		it, ok := c.items[id]
		return it, ok
	}
	for _, it := range c.items {
		if it.Name == s {
			return it, true
		}
	}
	return Item{}, false
}

func (c *Client) bagItem(b, s int) *Item {
	if b < 0 || b >= len(c.bags) || s < 1 || s > len(c.bags[b]) {
		return nil
	}
	return c.bags[b][s-1]
}

func (c *Client) locked(b, s int) bool {
	for _, a := range c.attach {
		if a != nil && a.bag == b && a.slot == s {
			return true
		}
	}
	return false
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
// throttled query is silently dropped, never answered. TrinityCore 3.3.5 itself has no
// throttle, but its later versions and forks return silently from HandleWhoOpcode when
// asked again too soon (3 s, 15 s, or a WhoOpcodeInterval setting: code corpus file
// ids 121039160, 42485874414, 3817161471); Blizzard's own servers are unknown. The
// default 5 s is settable (Options.WhoThrottle); tests also run the addon at 15 s.
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

// matchWho answers a /who the way TrinityCore 3.3.5's WorldSession::HandleWhoOpcode
// (src/server/game/Handlers/MiscHandler.cpp; code corpus file id 6693305) does: the name
// and guild match as case-insensitive substrings (wstrToLower + find), a free word
// matches if it is in the name, the guild or the zone name, characters of the other
// faction are left out ("player can see member of other team only if
// CONFIG_ALLOW_TWO_SIDE_WHO_LIST", off by default), at most CONFIG_MAX_WHO (49) results.
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

func (c *Client) uiError(msg string) {
	c.fire("UI_ERROR_MESSAGE", lua.LString(msg))
}

// sendMail is the server side of SendMail, after AzerothCore's (3.3.5)
// WorldSession::HandleSendMail (azerothcore/azerothcore-wotlk@02453dd
// src/server/game/Handlers/MailHandler.cpp; TrinityCore's is the same in these points):
//   - some mails are refused without any answer — no MAIL_SEND_SUCCESS, no MAIL_FAILED:
//     the "return;" after a subject or body holding "| |" ("prevent client crash"), an
//     empty recipient, a mailbox out of reach (CanOpenMailBox), a sender under the mail
//     level (a SendNotification only). DropNextMail makes the next one such a mail;
//   - postage is 30 copper per attached item, 30 without ("price hardcoded in client");
//   - the other faction is refused (MAIL_ERR_NOT_YOUR_TEAM) unless it is the same account;
//   - an item that cannot be traded (soulbound, quest), conjured, or with a duration
//     (ITEM_FIELD_DURATION) is refused (MAIL_ERR_EQUIP_ERROR / EQUIP_ERR_MAIL_BOUND_ITEM);
//   - items to a character of another account arrive after MailDeliveryDelay (3600 s by
//     default: "If theres is an item, there is a one hour delivery delay if sent to
//     another account's character"); money arrives at once.
//
// The answer comes MailLatency later. The server acts on the mail whatever the UI does
// meanwhile, but its answer only reaches the UI session that sent it: after a /reload or
// relog in the latency window neither MAIL_SEND_SUCCESS nor MAIL_FAILED is seen.
func (c *Client) sendMail(to, subject, body string) {
	if !c.mailOpen {
		return
	}
	to = strings.TrimSpace(to)
	if to == "" {
		return // HandleSendMail: if (receiver.empty()) return;
	}
	if subject == "" {
		c.uiError("Please enter a subject.")
		return
	}
	var items []Item
	var refs []bagRef
	for _, a := range c.attach {
		if a != nil {
			items = append(items, *c.bagItem(a.bag, a.slot))
			refs = append(refs, *a)
		}
	}
	if c.dropMail > 0 || strings.Contains(subject, "| |") || strings.Contains(body, "| |") {
		if c.dropMail > 0 {
			c.dropMail--
		}
		c.silentMails++
		return
	}
	money := c.sendMoney
	postage := int64(30 * max(1, len(items)))
	fail := c.failMail
	c.failMail = ""
	recipient := c.player(stripRealm(to))
	switch {
	case domain.SameName(stripRealm(to), c.opts.Player):
		fail = c.gs("ERR_MAIL_TO_SELF")
	case money+postage > c.money:
		fail = c.gs("ERR_NOT_ENOUGH_MONEY")
	case recipient != nil && recipient.Faction != c.opts.Faction && !c.sameAccount(to):
		fail = c.gs("ERR_MAIL_DATABASE_ERROR") // MAIL_ERR_NOT_YOUR_TEAM; its text is unknown here
	}
	if fail == "" {
		for _, it := range items {
			if it.Soulbound || it.Quest || it.Conjured || it.Duration > 0 {
				fail = c.gs("ERR_MAIL_BOUND_ITEM")
			}
		}
	}
	deliver := c.now
	if len(items) > 0 && !c.sameAccount(to) {
		deliver = deliver.Add(c.opts.MailDeliveryDelay)
	}
	session := c.session
	c.after(c.opts.MailLatency, func() {
		same := c.loggedIn && c.session == session
		if fail != "" {
			if same {
				c.uiError(fail)
				c.fire("MAIL_FAILED")
			}
			return
		}
		c.money -= money + postage
		for _, r := range refs {
			c.bags[r.bag][r.slot-1] = nil
		}
		if same {
			c.returnAttachments()
		}
		c.mails = append(c.mails, Mail{To: to, Subject: subject, Body: body, Copper: money, Items: items, At: c.now, DeliverAt: deliver.Add(c.opts.MailLatency)})
		if same {
			c.fire("MAIL_SEND_SUCCESS")
		}
	})
}

// player is the online player of that name, nil when offline.
func (c *Client) player(name string) *Player {
	for i := range c.online {
		if domain.SameName(c.online[i].Name, name) {
			return &c.online[i]
		}
	}
	return nil
}

func (c *Client) sameAccount(name string) bool {
	for _, n := range c.opts.SameAccount {
		if domain.SameName(n, stripRealm(name)) {
			return true
		}
	}
	return false
}

// DropNextMail makes the server refuse the next SendMail without any answer.
func (c *Client) DropNextMail() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropMail++
}

// SilentMails counts mails the server refused without an answer.
func (c *Client) SilentMails() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.silentMails
}

func asciiCase(s string, lo, hi byte, delta int) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= lo && ch <= hi {
			b[i] = byte(int(ch) + delta)
		}
	}
	return string(b)
}

func parseNumber(s string) (float64, error) { return strconv.ParseFloat(strings.TrimSpace(s), 64) }

// strftime covers the C strftime conversions WoW's date() is used with.
func strftime(f string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'c':
			b.WriteString(t.Format("01/02/06 15:04:05"))
		case 'x':
			b.WriteString(t.Format("01/02/06"))
		case 'X':
			b.WriteString(t.Format("15:04:05"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// WhoToUI is the SetWhoToUI flag as last set.
func (c *Client) WhoToUI() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.whoToUI
}
