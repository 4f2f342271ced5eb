package wowclient

// The methods Lua sees on a widget, per widget type, and the metatables that carry them.

import (
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

type method func(c *Client, L *lua.LState, w *widget) int

func noop(*Client, *lua.LState, *widget) int { return 0 }

func retNumber(f func(w *widget) float64) method {
	return func(_ *Client, L *lua.LState, w *widget) int { L.Push(lua.LNumber(f(w))); return 1 }
}

func setText(_ *Client, L *lua.LState, w *widget) int {
	v := L.Get(2)
	if w.typ == "EditBox" {
		// an edit box's text changes (and OnTextChanged is due) only when it differs
		// (whoahq/whoa@ea13456 src/ui/simple/CSimpleEditBox.cpp:1151-1164)
		next := ""
		if v != lua.LNil {
			next = L.ToStringMeta(v).String()
		}
		if next == w.text {
			return 0
		}
	}
	if v == lua.LNil {
		w.text = ""
	} else {
		w.text = L.ToStringMeta(v).String()
	}
	if w.typ == "GameTooltip" {
		w.lines = []string{w.text}
		w.c.syncTooltip(w)
	}
	if w.typ == "EditBox" {
		w.cursor = len(w.text)
		w.markChanged(false)
	}
	return 0
}

func getText(_ *Client, L *lua.LState, w *widget) int {
	if w.text == "" && w.typ != "EditBox" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(w.text))
	}
	return 1
}

func setFormattedText(_ *Client, L *lua.LState, w *widget) int {
	fmtFn := L.GetField(L.GetGlobal("string"), "format")
	args := []lua.LValue{}
	for i := 2; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	L.CallByParam(lua.P{Fn: fmtFn, NRet: 1, Protect: false}, args...)
	w.text = L.Get(-1).String()
	L.Pop(1)
	return 0
}

var regionMethods = map[string]method{
	"GetName": func(_ *Client, L *lua.LState, w *widget) int {
		if w.name == "" {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(w.name))
		}
		return 1
	},
	"GetParent": func(_ *Client, L *lua.LState, w *widget) int {
		if w.parent == nil {
			L.Push(lua.LNil)
		} else {
			L.Push(w.parent.tbl)
		}
		return 1
	},
	"GetObjectType": func(_ *Client, L *lua.LState, w *widget) int { L.Push(lua.LString(w.typ)); return 1 },
	"IsObjectType": func(_ *Client, L *lua.LState, w *widget) int {
		t := L.CheckString(2)
		L.Push(lua.LBool(t == w.typ || t == "Frame" && frameTypes[w.typ] || t == "Region"))
		return 1
	},
	"Show": func(_ *Client, _ *lua.LState, w *widget) int { w.show(); return 0 },
	"Hide": func(_ *Client, _ *lua.LState, w *widget) int { w.hide(); return 0 },
	"IsShown": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(luaFlag(w.shown))
		return 1
	},
	"IsVisible": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(luaFlag(w.visible()))
		return 1
	},
	"SetWidth":  func(_ *Client, L *lua.LState, w *widget) int { w.width = float64(L.CheckNumber(2)); return 0 },
	"SetHeight": func(_ *Client, L *lua.LState, w *widget) int { w.height = float64(L.CheckNumber(2)); return 0 },
	"SetSize": func(_ *Client, L *lua.LState, w *widget) int {
		w.width, w.height = float64(L.CheckNumber(2)), float64(L.CheckNumber(3))
		return 0
	},
	"GetWidth":  retNumber(func(w *widget) float64 { return w.width }),
	"GetHeight": retNumber(func(w *widget) float64 { return w.height }),
	"GetCenter": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(lua.LNumber(512))
		L.Push(lua.LNumber(384))
		return 2
	},
	"GetEffectiveScale": retNumber(func(*widget) float64 { return 1 }),
	"GetScale":          retNumber(func(*widget) float64 { return 1 }),
	"GetAlpha":          retNumber(func(*widget) float64 { return 1 }),
	"SetPoint": func(_ *Client, L *lua.LState, w *widget) int {
		L.CheckString(2)
		return 0
	},
	"SetParent": func(_ *Client, L *lua.LState, w *widget) int {
		if t, ok := L.Get(2).(*lua.LTable); ok {
			w.parent = widgetOf(t)
		} else {
			w.parent = nil
		}
		return 0
	},
	"ClearAllPoints": noop, "SetAllPoints": noop, "SetAlpha": noop, "SetScale": noop,
}

var frameMethods = map[string]method{
	"SetScript": func(_ *Client, L *lua.LState, w *widget) int {
		name := L.CheckString(2)
		if fn, ok := L.Get(3).(*lua.LFunction); ok {
			w.scripts[name] = fn
		} else {
			delete(w.scripts, name)
		}
		return 0
	},
	"GetScript": func(_ *Client, L *lua.LState, w *widget) int {
		if fn := w.scripts[L.CheckString(2)]; fn != nil {
			L.Push(fn)
		} else {
			L.Push(lua.LNil)
		}
		return 1
	},
	"HasScript": func(_ *Client, L *lua.LState, w *widget) int { L.Push(lua.LTrue); return 1 },
	"HookScript": func(_ *Client, L *lua.LState, w *widget) int {
		name := L.CheckString(2)
		hook := L.CheckFunction(3)
		orig := w.scripts[name]
		if orig == nil {
			w.scripts[name] = hook
			return 0
		}
		w.scripts[name] = L.NewFunction(func(L *lua.LState) int {
			args := make([]lua.LValue, 0, L.GetTop())
			for i := 1; i <= L.GetTop(); i++ {
				args = append(args, L.Get(i))
			}
			L.CallByParam(lua.P{Fn: orig, NRet: 0}, args...)
			L.CallByParam(lua.P{Fn: hook, NRet: 0}, args...)
			return 0
		})
		return 0
	},
	"RegisterEvent": func(c *Client, L *lua.LState, w *widget) int {
		ev := L.CheckString(2)
		if !w.events[ev] {
			w.events[ev] = true
			c.byEvent[ev] = append(c.byEvent[ev], w)
		}
		return 0
	},
	"UnregisterEvent": func(c *Client, L *lua.LState, w *widget) int {
		ev := L.CheckString(2)
		c.unregister(w, ev)
		return 0
	},
	"UnregisterAllEvents": func(c *Client, L *lua.LState, w *widget) int {
		for ev := range w.events {
			c.unregister(w, ev)
		}
		return 0
	},
	"IsEventRegistered": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(luaFlag(w.events[L.CheckString(2)]))
		return 1
	},
	"CreateFontString": func(c *Client, L *lua.LState, w *widget) int {
		L.Push(c.newWidget("FontString", L.OptString(2, ""), w).tbl)
		return 1
	},
	"CreateTexture": func(c *Client, L *lua.LState, w *widget) int {
		L.Push(c.newWidget("Texture", L.OptString(2, ""), w).tbl)
		return 1
	},
	"GetChildren": func(_ *Client, L *lua.LState, w *widget) int {
		n := 0
		for _, ch := range w.children {
			if frameTypes[ch.typ] {
				L.Push(ch.tbl)
				n++
			}
		}
		return n
	},
	"SetID":         func(_ *Client, L *lua.LState, w *widget) int { w.id = L.CheckInt(2); return 0 },
	"GetID":         retNumber(func(w *widget) float64 { return float64(w.id) }),
	"GetFrameLevel": retNumber(func(*widget) float64 { return 1 }),
	"GetFrameStrata": func(_ *Client, L *lua.LState, _ *widget) int {
		L.Push(lua.LString("MEDIUM"))
		return 1
	},
	"SetFrameStrata": noop, "SetFrameLevel": noop, "SetMovable": noop, "EnableMouse": noop,
	"EnableMouseWheel": noop, "EnableKeyboard": noop, "RegisterForDrag": noop, "SetClampedToScreen": noop,
	"StartMoving": noop, "StopMovingOrSizing": noop, "SetBackdrop": noop, "SetBackdropColor": noop,
	"SetBackdropBorderColor": noop, "SetToplevel": noop, "SetUserPlaced": noop, "SetHitRectInsets": noop,
}

var buttonMethods = map[string]method{
	"Click":   func(_ *Client, _ *lua.LState, w *widget) int { w.click(); return 0 },
	"SetText": setText, "GetText": getText, "SetFormattedText": setFormattedText,
	"Enable":  func(_ *Client, _ *lua.LState, w *widget) int { w.enabled = true; return 0 },
	"Disable": func(_ *Client, _ *lua.LState, w *widget) int { w.enabled = false; return 0 },
	"IsEnabled": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(luaFlag(w.enabled))
		return 1
	},
	"SetNormalTexture": noop, "SetPushedTexture": noop, "SetHighlightTexture": noop,
	"SetDisabledTexture": noop, "RegisterForClicks": noop, "SetNormalFontObject": noop,
	"SetHighlightFontObject": noop, "SetDisabledFontObject": noop, "LockHighlight": noop,
	"UnlockHighlight": noop, "SetButtonState": noop, "SetCheckedTexture": noop,
	"SetChecked": func(_ *Client, L *lua.LState, w *widget) int { w.checked = L.ToBool(2); return 0 },
	"GetChecked": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(luaFlag(w.checked))
		return 1
	},
}

var editBoxMethods = map[string]method{
	"SetText": setText, "GetText": getText,
	"SetNumber": func(_ *Client, L *lua.LState, w *widget) int {
		w.text = L.CheckNumber(2).String()
		w.cursor = len(w.text)
		w.markChanged(false)
		return 0
	},
	"GetNumber": func(_ *Client, L *lua.LState, w *widget) int {
		n, err := parseNumber(w.text)
		if err != nil {
			n = 0
		}
		L.Push(lua.LNumber(n))
		return 1
	},
	"SetAutoFocus":  func(_ *Client, L *lua.LState, w *widget) int { w.autoFocus = L.ToBool(2); return 0 },
	"IsAutoFocus":   func(_ *Client, L *lua.LState, w *widget) int { L.Push(luaFlag(w.autoFocus)); return 1 },
	"SetMultiLine":  func(_ *Client, L *lua.LState, w *widget) int { w.multiLine = L.ToBool(2); return 0 },
	"IsMultiLine":   func(_ *Client, L *lua.LState, w *widget) int { L.Push(luaFlag(w.multiLine)); return 1 },
	"SetNumeric":    func(_ *Client, L *lua.LState, w *widget) int { w.numeric = L.ToBool(2); return 0 },
	"IsNumeric":     func(_ *Client, L *lua.LState, w *widget) int { L.Push(luaFlag(w.numeric)); return 1 },
	"SetMaxLetters": func(_ *Client, L *lua.LState, w *widget) int { w.maxLetters = L.CheckInt(2); return 0 },
	"GetMaxLetters": func(_ *Client, L *lua.LState, w *widget) int { L.Push(lua.LNumber(w.maxLetters)); return 1 },
	"SetMaxBytes":   func(_ *Client, L *lua.LState, w *widget) int { w.maxBytes = L.CheckInt(2); return 0 },
	"GetMaxBytes":   func(_ *Client, L *lua.LState, w *widget) int { L.Push(lua.LNumber(w.maxBytes)); return 1 },
	"GetNumLetters": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(lua.LNumber(utf8.RuneCountInString(w.text)))
		return 1
	},
	"SetFocus":   func(c *Client, _ *lua.LState, w *widget) int { c.setFocus(w); return 0 },
	"ClearFocus": func(c *Client, _ *lua.LState, w *widget) int { c.clearFocus(w, true); return 0 },
	"HasFocus":   func(c *Client, L *lua.LState, w *widget) int { L.Push(luaFlag(c.focus == w)); return 1 },
	"GetCursorPosition": func(_ *Client, L *lua.LState, w *widget) int {
		L.Push(lua.LNumber(w.cursor))
		return 1
	},
	"SetCursorPosition": func(_ *Client, L *lua.LState, w *widget) int {
		w.cursor = max(0, min(L.CheckInt(2), len(w.text)))
		return 0
	},
	"Insert":        func(c *Client, L *lua.LState, w *widget) int { c.insertText(w, L.CheckString(2), false); return 0 },
	"HighlightText": noop, "SetFontObject": noop, "SetTextInsets": noop, "SetJustifyH": noop,
	"AddHistoryLine": noop, "ClearHistory": noop, "SetHistoryLines": noop, "SetBlinkSpeed": noop,
	"SetAltArrowKeyMode": noop, "SetPassword": noop, "SetTextColor": noop,
}

var fontStringMethods = map[string]method{
	"SetText": setText, "GetText": getText, "SetFormattedText": setFormattedText,
	"GetStringWidth": retNumber(func(w *widget) float64 { return float64(len(w.text)) * 6 }),
	"SetFont":        noop, "SetFontObject": noop, "SetTextColor": noop, "SetJustifyH": noop, "SetJustifyV": noop,
	"SetWordWrap": noop, "SetNonSpaceWrap": noop, "SetShadowColor": noop, "SetShadowOffset": noop,
	"SetDrawLayer": noop, "SetTextHeight": noop,
}

var textureMethods = map[string]method{
	"SetTexture":  func(_ *Client, L *lua.LState, w *widget) int { w.text = L.OptString(2, ""); return 0 },
	"GetTexture":  getText,
	"SetTexCoord": noop, "SetVertexColor": noop, "SetBlendMode": noop, "SetDesaturated": noop,
	"SetDrawLayer": noop, "SetGradient": noop, "SetGradientAlpha": noop,
}

var messageFrameMethods = map[string]method{
	"AddMessage": func(c *Client, L *lua.LState, w *widget) int {
		text := L.ToStringMeta(L.Get(2)).String()
		if L.Get(2) == lua.LNil {
			text = ""
		}
		if w.name == "ChatFrame1" {
			c.display(text, false)
		}
		return 0
	},
	"Clear": noop, "SetFading": noop, "SetMaxLines": noop, "SetInsertMode": noop, "SetTimeVisible": noop,
	"SetFontObject": noop, "SetJustifyH": noop,
}

// buildMetas makes one method table per widget type.
func (c *Client) buildMetas() {
	groups := map[string][]map[string]method{
		"Frame":                 {regionMethods, frameMethods},
		"ScrollFrame":           {regionMethods, frameMethods},
		"Slider":                {regionMethods, frameMethods},
		"StatusBar":             {regionMethods, frameMethods},
		"Cooldown":              {regionMethods, frameMethods},
		"Model":                 {regionMethods, frameMethods},
		"Button":                {regionMethods, frameMethods, buttonMethods},
		"CheckButton":           {regionMethods, frameMethods, buttonMethods},
		"EditBox":               {regionMethods, frameMethods, editBoxMethods},
		"FontString":            {regionMethods, fontStringMethods},
		"Texture":               {regionMethods, textureMethods},
		"ScrollingMessageFrame": {regionMethods, frameMethods, messageFrameMethods},
		"MessageFrame":          {regionMethods, frameMethods, messageFrameMethods},
		"GameTooltip":           {regionMethods, frameMethods, tooltipMethods},
	}
	c.metas = map[string]*lua.LTable{}
	for typ, gs := range groups {
		methods := c.L.NewTable()
		for _, g := range gs {
			for name, m := range g {
				m := m
				name := name
				methods.RawSetString(name, c.L.NewFunction(func(L *lua.LState) int {
					t, ok := L.Get(1).(*lua.LTable)
					var w *widget
					if ok {
						w = widgetOf(t)
					}
					if w == nil {
						L.RaiseError("%s: attempt to call a widget method on a bad self", name)
					}
					return m(c, L, w)
				}))
			}
		}
		meta := c.L.NewTable()
		meta.RawSetString("__index", methods)
		c.metas[typ] = meta
	}
}
