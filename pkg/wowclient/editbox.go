package wowclient

// The keyboard focus, and what an edit box does with the keys and characters typed into it.

import (
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

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
// w's OnEditFocusGained (whoahq/whoa@ea13456 src/ui/simple/CSimpleEditBox.cpp:42-80).
// A hidden box cannot take focus (CSimpleEditBox.cpp:43-45).
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

// clearFocus drops w's focus (CSimpleEditBox.cpp:82-104).
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
