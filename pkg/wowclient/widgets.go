package wowclient

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// widget is a frame or region. As in the real client a widget is a Lua table (addons put
// their own fields on frames) whose [0] holds the Go side and whose metatable holds the
// methods of its type.
type widget struct {
	c        *Client
	typ      string
	name     string
	tbl      *lua.LTable
	parent   *widget
	shown    bool
	enabled  bool
	checked  bool
	text     string
	width    float64
	height   float64
	id       int
	scripts  map[string]lua.LValue
	events   map[string]bool
	children []*widget
	lines    []string // GameTooltip left lines

	// edit boxes
	cursor     int // byte offset in text
	autoFocus  bool
	multiLine  bool
	numeric    bool
	maxLetters int
	maxBytes   int
	dirty      bool // text changed since OnTextChanged last ran
	dirtyUser  bool // ... by typing
}

var frameTypes = map[string]bool{
	"Frame": true, "Button": true, "CheckButton": true, "EditBox": true, "GameTooltip": true,
	"ScrollFrame": true, "ScrollingMessageFrame": true, "MessageFrame": true, "Slider": true,
	"StatusBar": true, "Cooldown": true, "Model": true,
}

func widgetOf(t *lua.LTable) *widget {
	ud, ok := t.RawGetH(lua.LNumber(0)).(*lua.LUserData)
	if !ok {
		return nil
	}
	w, _ := ud.Value.(*widget)
	return w
}

func (w *widget) visible() bool {
	for x := w; x != nil; x = x.parent {
		if !x.shown {
			return false
		}
	}
	return true
}

func (w *widget) is(types ...string) bool {
	for _, t := range types {
		if w.typ == t {
			return true
		}
	}
	return false
}

func (c *Client) newWidget(typ, name string, parent *widget) *widget {
	if parent != nil && strings.Contains(name, "$parent") {
		name = strings.ReplaceAll(name, "$parent", parent.name)
	}
	w := &widget{c: c, typ: typ, name: name, parent: parent, shown: true, enabled: true, scripts: map[string]lua.LValue{}, events: map[string]bool{}}
	// A new EditBox has autoFocus on (whoahq/whoa@ea13456
	// src/ui/simple/CSimpleEditBox.cpp:106-107); FrameXML's boxes turn it off in XML
	// (e.g. FrameXML/MailFrame.xml:859).
	w.autoFocus = typ == "EditBox"
	w.tbl = c.L.NewTable()
	ud := c.L.NewUserData()
	ud.Value = w
	w.tbl.RawSetInt(0, ud)
	c.L.SetMetatable(w.tbl, c.metas[typ])
	if name != "" {
		c.L.SetGlobal(name, w.tbl)
	}
	if parent != nil {
		parent.children = append(parent.children, w)
	}
	c.widgets = append(c.widgets, w)
	return w
}

func (c *Client) fire(event string, args ...lua.LValue) {
	if !c.loggedIn && event != "ADDON_LOADED" {
		// during login() loggedIn is set before the first event
		return
	}
	c.chatFrameEvent(event, args)
	for _, w := range append([]*widget(nil), c.byEvent[event]...) {
		if !w.events[event] {
			continue
		}
		if fn := w.scripts["OnEvent"]; fn != nil {
			c.protect(fn, append([]lua.LValue{w.tbl, lua.LString(event)}, args...)...)
		}
	}
}

func (c *Client) fireChat(event, text, who string) {
	c.seq++
	c.fire(event, lua.LString(text), lua.LString(who), lua.LString(""), lua.LString(""), lua.LString(""),
		lua.LString(""), lua.LNumber(0), lua.LNumber(0), lua.LString(""), lua.LNumber(0), lua.LNumber(c.seq), lua.LString(""))
}

// chatFrameEvent is ChatFrame1's own handling of chat events: it prints them, and so
// they reach the chat log.
func (c *Client) chatFrameEvent(event string, args []lua.LValue) {
	arg := func(i int) string {
		if i < len(args) {
			return lua.LVAsString(args[i])
		}
		return ""
	}
	switch event {
	case "CHAT_MSG_WHISPER":
		c.display(fmt.Sprintf(c.gs("CHAT_WHISPER_GET"), "["+arg(1)+"]")+arg(0), true)
	case "CHAT_MSG_WHISPER_INFORM":
		c.display(fmt.Sprintf(c.gs("CHAT_WHISPER_INFORM_GET"), "["+arg(1)+"]")+arg(0), true)
	case "CHAT_MSG_SAY":
		c.display(fmt.Sprintf(c.gs("CHAT_SAY_GET"), "["+arg(1)+"]")+arg(0), true)
	case "CHAT_MSG_SYSTEM":
		c.display(stripLinks(arg(0)), true)
	default:
		if line, ok := chatLine(event, arg(0), arg(1), arg(3)); ok { // world.go
			c.display(line, true)
		}
	}
}

func (w *widget) callScript(name string, args ...lua.LValue) error {
	fn := w.scripts[name]
	if fn == nil {
		return nil
	}
	return w.c.protect(fn, append([]lua.LValue{w.tbl}, args...)...)
}

func (w *widget) click() error {
	if !w.enabled {
		return nil
	}
	if w.typ == "CheckButton" {
		w.checked = !w.checked
	}
	return w.callScript("OnClick", lua.LString("LeftButton"), lua.LFalse)
}

func (w *widget) show() {
	if w.shown {
		return
	}
	w.shown = true
	if w.visible() {
		w.callScript("OnShow")
		// an edit box shown with autoFocus takes a free focus
		// (whoahq/whoa@ea13456 src/ui/simple/CSimpleEditBox.cpp:999-1005)
		if w.typ == "EditBox" && w.autoFocus && w.c.focus == nil {
			w.c.setFocus(w)
		}
	}
}

func (w *widget) hide() {
	if !w.shown {
		return
	}
	wasVisible := w.visible()
	w.shown = false
	if wasVisible {
		w.callScript("OnHide")
		// a hidden edit box loses the focus (CSimpleEditBox.cpp:993-997), also when a
		// parent hides
		if f := w.c.focus; f != nil && !f.visible() {
			w.c.clearFocus(f, true)
		}
	}
}

func (c *Client) unregister(w *widget, ev string) {
	if !w.events[ev] {
		return
	}
	delete(w.events, ev)
	list := c.byEvent[ev]
	for i, x := range list {
		if x == w {
			c.byEvent[ev] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
}

func luaFlag(b bool) lua.LValue {
	if b {
		return lua.LNumber(1)
	}
	return lua.LNil
}
