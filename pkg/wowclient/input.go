package wowclient

import (
	"errors"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/text/encoding/charmap"
)

// Screen is what the game window shows, which decides where typed keys go.
type Screen string

// The screens of the 3.3.5a client that take keyboard input. The glue screens follow a
// 3.3.5a GlueXML copy (StygianTheBest/StygianCore@758941f Client/Interface/GlueXML/;
// tekkub/wow-ui-source has no GlueXML).
const (
	// ScreenWorld: logged in; keys go to the focused edit box, else to key bindings.
	ScreenWorld Screen = "world"
	// ScreenLoading: a loading screen (login, /reload, a portal); it swallows every key.
	// Unknown in the real client (whoahq/whoa@ea13456 src/gx/LoadingScreen.cpp draws the
	// screen but shows no input for it); losing the keys is the stricter choice.
	ScreenLoading Screen = "loading"
	// ScreenCharSelect: character select; Enter enters the world, characters go nowhere
	// (CharacterSelect.lua:236-240 CharacterSelect_OnKeyDown: ENTER →
	// CharacterSelect_EnterWorld).
	ScreenCharSelect Screen = "charselect"
	// ScreenLogin: the login screen; characters go into its focused field (the password
	// when the account name is remembered: AccountLogin.lua:89-93), Enter tries to log in
	// with it (AccountLogin.xml:278-283, AccountLogin.lua:124-146).
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
//   - world: the focused edit box takes every key (whoahq/whoa@ea13456
//     src/ui/simple/CSimpleEditBox.cpp:829-932, OnLayerKeyDown returns "eaten" for any
//     key once it has focus; src/ui/simple/CSimpleTop.cpp:84-123 offers a key to frames
//     first and only an uneaten key reaches the bindings), so no key binding fires while
//     an edit box has focus. Without focus, a visible edit box whose autoFocus is set
//     takes the key and the focus (CSimpleEditBox.cpp:845-849, the default for an
//     EditBox is autoFocus on: CSimpleEditBox.cpp:106-107); otherwise the key runs its
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
// dropped (whoahq/whoa@ea13456 src/event/win/Input.cpp:490-493). The client's window is an ANSI
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

// InputLog is every window message posted so far.
func (c *Client) InputLog() []Input {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Input(nil), c.inputs...)
}
