package wowclient

// Key bindings and override bindings, and combat, in which changing a binding is blocked.

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Key bindings. The defaults are the few of FrameXML/Bindings.xml a test can need;
// override bindings (SetOverrideBinding, SetOverrideBindingClick: FrameXML/
// RestrictedFrames.lua:525-556 uses both in 3.3.5) win over them.
var defaultBindings = map[string]string{
	"ENTER": "OPENCHAT",      // FrameXML/Bindings.xml:93-95
	"/":     "OPENCHATSLASH", // FrameXML/Bindings.xml:96-98
	"R":     "REPLY",         // FrameXML/Bindings.xml:108-110
}

type override struct {
	owner  *widget
	action string // a binding action, or "CLICK <button>:<mouse button>"
}

func (c *Client) runBinding(key string) {
	action := defaultBindings[key]
	if ov, ok := c.overrides[key]; ok && len(ov) > 0 {
		action = ov[len(ov)-1].action
	}
	if action == "" {
		return
	}
	if rest, ok := strings.CutPrefix(action, "CLICK "); ok {
		name, button, _ := strings.Cut(rest, ":")
		if button == "" {
			button = "LeftButton"
		}
		if w := c.widgetByName(name); w != nil && w.enabled {
			w.callScript("OnClick", lua.LString(button), lua.LTrue)
		}
		return
	}
	fn := c.L.GetField(c.L.GetGlobal("__Bindings"), action)
	if fn != lua.LNil {
		c.protect(fn, lua.LString("down"))
	}
}

func (c *Client) setOverride(owner *widget, key, action string) {
	key = strings.ToUpper(key)
	list := c.overrides[key][:0:0]
	for _, ov := range c.overrides[key] {
		if ov.owner != owner {
			list = append(list, ov)
		}
	}
	if action != "" {
		list = append(list, override{owner: owner, action: action})
	}
	c.overrides[key] = list
}

func (c *Client) clearOverrides(owner *widget) {
	for k, list := range c.overrides {
		kept := list[:0:0]
		for _, ov := range list {
			if ov.owner != owner {
				kept = append(kept, ov)
			}
		}
		c.overrides[k] = kept
	}
}

// bindingAPI is the 3.3.5a key binding functions an addon uses (whoahq/whoa@ea13456
// src/ui/game/UIBindingsScript.cpp:114-133 lists them). They are protected: in combat
// they do nothing and fire ADDON_ACTION_BLOCKED (unknown exactly what the client does
// beyond refusing; refusing is what matters).
func (c *Client) bindingAPI() map[string]lua.LGFunction {
	blocked := func(L *lua.LState, fn string) bool {
		if c.inCombat {
			c.fire("ADDON_ACTION_BLOCKED", lua.LString(c.addonName), lua.LString(fn))
			return true
		}
		return false
	}
	owner := func(L *lua.LState) *widget {
		t, ok := L.Get(1).(*lua.LTable)
		if !ok || widgetOf(t) == nil {
			L.RaiseError("Usage: SetOverrideBinding(owner, isPriority, \"KEY\", \"COMMAND\")")
		}
		return widgetOf(t)
	}
	return map[string]lua.LGFunction{
		"SetOverrideBinding": func(L *lua.LState) int {
			o := owner(L)
			if blocked(L, "SetOverrideBinding") {
				return 0
			}
			c.setOverride(o, L.CheckString(3), L.OptString(4, ""))
			return 0
		},
		"SetOverrideBindingClick": func(L *lua.LState) int {
			o := owner(L)
			if blocked(L, "SetOverrideBindingClick") {
				return 0
			}
			key, button := L.CheckString(3), L.CheckString(4)
			c.setOverride(o, key, fmt.Sprintf("CLICK %s:%s", button, L.OptString(5, "LeftButton")))
			return 0
		},
		"ClearOverrideBindings": func(L *lua.LState) int {
			o := owner(L)
			if blocked(L, "ClearOverrideBindings") {
				return 0
			}
			c.clearOverrides(o)
			return 0
		},
		"GetBindingAction": func(L *lua.LState) int {
			key := strings.ToUpper(L.CheckString(1))
			action := defaultBindings[key]
			if ov := c.overrides[key]; len(ov) > 0 && L.ToBool(2) {
				action = ov[len(ov)-1].action
			}
			L.Push(lua.LString(action))
			return 1
		},
		"InCombatLockdown": func(L *lua.LState) int { L.Push(luaFlag(c.inCombat)); return 1 },
		"GetCurrentKeyBoardFocus": func(L *lua.LState) int {
			if c.focus == nil {
				L.Push(lua.LNil)
			} else {
				L.Push(c.focus.tbl)
			}
			return 1
		},
	}
}

// SetCombat puts the character in or out of combat (PLAYER_REGEN_DISABLED / _ENABLED).
func (c *Client) SetCombat(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inCombat == on {
		return
	}
	c.inCombat = on
	if !c.loggedIn {
		return
	}
	defer c.afterLua()
	if on {
		c.fire("PLAYER_REGEN_DISABLED")
	} else {
		c.fire("PLAYER_REGEN_ENABLED")
	}
}
