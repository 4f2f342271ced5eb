package wowclient

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
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
