package wowclient

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/text/encoding/charmap"
)

// Screen is what the game window shows, which decides where typed keys go.
type Screen string

// The screens of the 3.3.5a client that take keyboard input.
const (
	// ScreenWorld: logged in; keys go to the focused edit box, else to key bindings.
	ScreenWorld Screen = "world"
	// ScreenLoading: a loading screen (login, /reload, a portal); it swallows every key.
	ScreenLoading Screen = "loading"
	// ScreenCharSelect: character select; Enter enters the world, characters go nowhere.
	ScreenCharSelect Screen = "charselect"
	// ScreenLogin: the login screen; characters go into its focused field (the password
	// when the account name is remembered), Enter tries to log in with it.
	ScreenLogin Screen = "login"
)

// Input is one window message the game receives: a key press (Key, a WoW key name such
// as "ENTER", "ESCAPE", "TAB", "BACKSPACE", "SCROLLLOCK", "PAUSE", "A") or one WM_CHAR
// (Char, a UTF-16 code unit as PostMessageW carries it).
type Input struct {
	Key  string
	Char uint16
}

// Keys is Key presses; Chars is the WM_CHAR units of s.
func Keys(names ...string) []Input {
	out := make([]Input, 0, len(names))
	for _, n := range names {
		out = append(out, Input{Key: n})
	}
	return out
}

// Chars turns s into WM_CHAR inputs, one per UTF-16 code unit, as the Desktop's
// PostMessageW injector sends them.
func Chars(s string) []Input {
	units := utf16.Encode([]rune(s))
	out := make([]Input, 0, len(units))
	for _, u := range units {
		out = append(out, Input{Char: u})
	}
	return out
}

// ErrNotInWorld is returned by helpers that need the world screen.
var ErrNotInWorld = errors.New("wowclient: the game is not in the world")

// Post delivers window messages in order, as one pump of the client's message queue:
// nothing of the game runs between them except what each message triggers (scripts run
// synchronously; OnTextChanged waits for the next frame, as in the client).
//
// Where the keys go depends on the screen:
//   - loading screen: swallowed (counted in LostInputs);
//   - login screen: characters go into the focused field (LoginField), Backspace
//     removes one, Enter tries to log in with what the field holds (LoginAttempts) —
//     the emulation knows no password, so the attempt fails and the field is cleared;
//   - character select: Enter enters the world (after Options.LoadingTime of loading
//     screen); everything else is ignored;
//   - world: the focused edit box takes every key (whoahq/whoa
//     src/ui/simple/CSimpleEditBox.cpp:829-932, OnLayerKeyDown returns "eaten" for any
//     key once it has focus; src/ui/simple/CSimpleTop.cpp:84-123 offers a key to frames
//     first and only an uneaten key reaches the bindings), so no key binding fires while
//     an edit box has focus. Without focus, a visible edit box whose autoFocus is set
//     takes the key and the focus (CSimpleEditBox.cpp:844-848, the default for an
//     EditBox is autoFocus on: CSimpleEditBox.cpp:105); otherwise the key runs its
//     binding (override bindings first; Enter opens the chat box: tekkub/wow-ui-source@3.3.5
//     FrameXML/Bindings.xml:93-95). A character without a focused edit box is dropped.
//
// Characters pass through the Windows ANSI code page first (Options.CodePage).
func (c *Client) Post(inputs ...Input) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	defer c.afterLua()
	for _, in := range inputs {
		c.inputs = append(c.inputs, in)
		if in.Key != "" {
			c.keyDown(strings.ToUpper(in.Key))
		} else {
			c.char(in.Char)
		}
	}
	return nil
}

// LostInputs is how many window messages a loading screen (or no taker at all) swallowed.
func (c *Client) LostInputs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lost
}

// Screen is what the window shows.
func (c *Client) Screen() Screen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.screen
}

// LoginField is what the login screen's focused field holds (keys typed there).
func (c *Client) LoginField() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loginField
}

// LoginAttempts counts Enter pressed on the login screen.
func (c *Client) LoginAttempts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loginAttempts
}

// ToLoginScreen is a disconnect: the UI unloads (SavedVariables are written, as on a
// normal logout) and the login screen shows.
func (c *Client) ToLoginScreen() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loggedIn {
		if err := c.logoutLocked(); err != nil {
			return err
		}
	}
	c.logging = false
	c.screen = ScreenLogin
	return nil
}

// LoadingScreen shows a loading screen for d (a portal, a zone change) while staying
// logged in: keys are swallowed meanwhile, then PLAYER_ENTERING_WORLD fires.
func (c *Client) LoadingScreen(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return
	}
	c.screen = ScreenLoading
	c.clearFocusAll()
	c.fire("PLAYER_LEAVING_WORLD")
	session := c.session
	c.after(d, func() {
		if c.loggedIn && c.session == session && c.screen == ScreenLoading {
			c.screen = ScreenWorld
			c.fire("PLAYER_ENTERING_WORLD")
		}
	})
}

// FocusedEditBox names the edit box that has keyboard focus ("" for none).
func (c *Client) FocusedEditBox() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.focus == nil {
		return ""
	}
	return c.focus.name
}

// OpenChatWith is the streamer pressing Enter and typing text without sending it: the
// chat edit box is open, focused and holds text.
func (c *Client) OpenChatWith(text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn || c.screen != ScreenWorld {
		return ErrNotInWorld
	}
	defer c.afterLua()
	if err := c.callGlobal("ChatFrame_OpenChat", lua.LString("")); err != nil {
		return err
	}
	if c.focus == nil {
		return errors.New("wowclient: the chat edit box did not take focus")
	}
	c.frame(0) // the streamer types after the box opened (its text is set on OnUpdate)
	for _, in := range Chars(text) {
		c.char(in.Char)
	}
	return nil
}

// ChatEditText is what the default chat frame's edit box holds, and whether it is shown.
func (c *Client) ChatEditText() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.widgetByName("ChatFrame1EditBox")
	if w == nil {
		return "", false
	}
	return w.text, w.visible()
}

func (c *Client) keyDown(key string) {
	switch c.screen {
	case ScreenLoading:
		c.lost++
	case ScreenLogin:
		switch key {
		case "ENTER":
			c.loginAttempts++
			c.loginField = ""
		case "BACKSPACE":
			if n := len(c.loginField); n > 0 {
				_, size := utf8.DecodeLastRuneInString(c.loginField)
				c.loginField = c.loginField[:n-size]
			}
		}
	case ScreenCharSelect:
		if key == "ENTER" {
			c.enterWorld()
		}
	case ScreenWorld:
		if c.focus != nil && !c.focus.visible() {
			c.clearFocus(c.focus, true)
		}
		if c.focus == nil {
			if w := c.autoFocusBox(); w != nil {
				c.setFocus(w)
			}
		}
		if c.focus != nil {
			c.editKey(c.focus, key)
			return
		}
		c.runBinding(key)
	}
}

func (c *Client) char(unit uint16) {
	s, ok := c.decodeChar(unit)
	if !ok {
		return
	}
	switch c.screen {
	case ScreenLoading:
		c.lost++
	case ScreenLogin:
		c.loginField += s
	case ScreenWorld:
		if c.focus != nil && !c.focus.visible() {
			c.clearFocus(c.focus, true)
		}
		if c.focus == nil {
			if w := c.autoFocusBox(); w != nil {
				c.setFocus(w)
			}
		}
		if c.focus == nil {
			c.lost++
			return
		}
		c.insertText(c.focus, s, true)
	}
}

// decodeChar is what a WM_CHAR becomes inside the client. Control characters are
// dropped (whoahq/whoa src/event/win/Input.cpp:490-493). The client's window is an ANSI
// window: Windows converts a message posted with PostMessageW to the system's ANSI code
// page for it, and a character the code page lacks arrives as '?' (the documented
// best-fit/default-char conversion of WideCharToMultiByte); the client then reads the
// byte in that code page (unknown how exactly: whoa leaves characters >= 128 as a TODO,
// Input.cpp:497-499; we assume it converts back from the ANSI code page, the only way
// Cyrillic typed on a Russian Windows could work). UTF-16 surrogates never survive.
func (c *Client) decodeChar(unit uint16) (string, bool) {
	if unit < 32 {
		return "", false
	}
	if unit < 128 {
		return string(rune(unit)), true
	}
	cm := charmap.Windows1252
	switch c.opts.CodePage {
	case 1251:
		cm = charmap.Windows1251
	case 1250:
		cm = charmap.Windows1250
	}
	if utf16.IsSurrogate(rune(unit)) {
		return "?", true
	}
	b, ok := cm.EncodeRune(rune(unit))
	if !ok {
		return "?", true
	}
	return string(cm.DecodeByte(b)), true
}

// autoFocusBox is a visible edit box with autoFocus set, which takes a key when no edit
// box has focus (the newest first, as the last created frame is on top).
func (c *Client) autoFocusBox() *widget {
	for i := len(c.widgets) - 1; i >= 0; i-- {
		w := c.widgets[i]
		if w.typ == "EditBox" && w.autoFocus && w.visible() {
			return w
		}
	}
	return nil
}

// setFocus gives w the keyboard focus: the old box's OnEditFocusLost runs first, then
// w's OnEditFocusGained (whoahq/whoa src/ui/simple/CSimpleEditBox.cpp:42-79). A hidden
// box cannot take focus (CSimpleEditBox.cpp:43-45).
func (c *Client) setFocus(w *widget) {
	if !w.visible() || c.focus == w {
		return
	}
	if old := c.focus; old != nil {
		old.callScript("OnEditFocusLost")
	}
	c.focus = w
	w.callScript("OnEditFocusGained")
}

// clearFocus drops w's focus (CSimpleEditBox.cpp:81-101).
func (c *Client) clearFocus(w *widget, dispatch bool) {
	if c.focus != w {
		return
	}
	c.focus = nil
	if dispatch {
		w.callScript("OnEditFocusLost")
	}
}

func (c *Client) clearFocusAll() {
	if c.focus != nil {
		c.clearFocus(c.focus, true)
	}
}

// editKey is a key pressed in the focused edit box (CSimpleEditBox.cpp:829-932): text
// typed before it is announced first (OnTextChanged), then Escape, Enter (OnEnterPressed;
// a multi-line box without that script gets a line break), Tab, Backspace; any other key
// is eaten and does nothing.
func (c *Client) editKey(w *widget, key string) {
	c.flushTextChanged(w)
	switch key {
	case "ESCAPE":
		w.callScript("OnEscapePressed")
	case "ENTER":
		if !w.multiLine || w.scripts["OnEnterPressed"] != nil {
			w.callScript("OnEnterPressed")
		} else {
			c.insertText(w, "\n", true)
		}
	case "TAB":
		w.callScript("OnTabPressed")
	case "BACKSPACE":
		if w.cursor > 0 {
			_, size := utf8.DecodeLastRuneInString(w.text[:w.cursor])
			w.text = w.text[:w.cursor-size] + w.text[w.cursor:]
			w.cursor -= size
			w.markChanged(true)
		}
	case "LEFT":
		if w.cursor > 0 {
			_, size := utf8.DecodeLastRuneInString(w.text[:w.cursor])
			w.cursor -= size
		}
	case "RIGHT":
		if w.cursor < len(w.text) {
			_, size := utf8.DecodeRuneInString(w.text[w.cursor:])
			w.cursor += size
		}
	case "HOME":
		w.cursor = 0
	case "END":
		w.cursor = len(w.text)
	}
}

// insertText puts s at the cursor, within the box's letter and byte limits (a character
// that does not fit is dropped, as the chat box stops taking keys at 255 letters:
// FrameXML/ChatFrame.xml:21 letters="255"), and runs OnChar for each character typed
// (CSimpleEditBox.cpp:603-606).
func (c *Client) insertText(w *widget, s string, typed bool) {
	for _, r := range s {
		ch := string(r)
		if w.maxLetters > 0 && utf8.RuneCountInString(w.text) >= w.maxLetters {
			continue
		}
		if w.maxBytes > 0 && len(w.text)+len(ch) > w.maxBytes-1 {
			continue
		}
		if w.numeric && (r < '0' || r > '9') {
			continue
		}
		if w.cursor > len(w.text) {
			w.cursor = len(w.text)
		}
		w.text = w.text[:w.cursor] + ch + w.text[w.cursor:]
		w.cursor += len(ch)
		w.markChanged(typed)
		if typed {
			w.callScript("OnChar", lua.LString(ch))
		}
	}
}

func (w *widget) markChanged(user bool) {
	if !w.dirty {
		w.dirtyUser = user
	} else {
		w.dirtyUser = w.dirtyUser || user
	}
	w.dirty = true
}

// flushTextChanged runs OnTextChanged(self, userInput) for a box whose text changed
// since it last ran: at the next frame or before the next key in it, as the client's
// UpdateDirtyBits does (CSimpleEditBox.cpp:1170-1193).
func (c *Client) flushTextChanged(w *widget) {
	if !w.dirty {
		return
	}
	user := w.dirtyUser
	w.dirty, w.dirtyUser = false, false
	w.callScript("OnTextChanged", luaFlag(user))
}

// enterWorld is Enter at character select: a loading screen, then the world.
func (c *Client) enterWorld() {
	c.screen = ScreenLoading
	c.after(c.opts.LoadingTime, func() {
		if c.closed || c.loggedIn {
			return
		}
		if err := c.login(); err != nil {
			c.errs = append(c.errs, err)
		}
	})
}

// Key bindings. The defaults are the few of FrameXML/Bindings.xml a test can need;
// override bindings (SetOverrideBinding, SetOverrideBindingClick: FrameXML/
// RestrictedFrames.lua:527-556 uses both in 3.3.5) win over them.
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

// bindingAPI is the 3.3.5a key binding functions an addon uses (whoahq/whoa
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

// InputLog is every window message posted so far.
func (c *Client) InputLog() []Input {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Input(nil), c.inputs...)
}
