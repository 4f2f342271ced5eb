package wowclient

// The player's mouse on named frames: buttons, edit boxes, the static popup.

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// ClickButton clicks a named, visible and enabled button (e.g. the addon's Prepare Mail
// button or the mailbox's SendMailMailButton) as the player would.
func (c *Client) ClickButton(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	w := c.widgetByName(name)
	if w == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchButton, name)
	}
	// A click lands on a frame after whatever happened before it: the text changes still
	// waiting for their OnTextChanged (which may enable the button) run first.
	for _, x := range append([]*widget(nil), c.widgets...) {
		c.flushTextChanged(x)
	}
	if !w.visible() || !w.enabled {
		return fmt.Errorf("%w: %s", ErrNotClickable, name)
	}
	return w.click()
}

// Shown reports whether the named frame is visible.
func (c *Client) Shown(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.widgetByName(name)
	return w != nil && w.visible()
}

// Text is the text of the named widget (edit box, font string, button).
func (c *Client) Text(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.widgetByName(name); w != nil {
		return w.text
	}
	return ""
}

// SetText sets the text of a named edit box as the player typing into it would.
func (c *Client) SetText(name, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.widgetByName(name)
	if w == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchButton, name)
	}
	if w.text != text {
		w.text = text
		w.cursor = len(text)
		w.markChanged(true)
	}
	return nil
}

func (c *Client) widgetByName(name string) *widget {
	if c.L == nil {
		return nil
	}
	t, ok := c.L.GetGlobal(name).(*lua.LTable)
	if !ok {
		return nil
	}
	return widgetOf(t)
}

// Popup is the StaticPopup dialog showing ("SEND_MONEY" …), "" for none.
func (c *Client) Popup() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.widgetByName("StaticPopup1")
	if w == nil || !w.visible() {
		return ""
	}
	return lua.LVAsString(w.tbl.RawGetString("which"))
}

// PressSend is the streamer sending the prepared mail: the mailbox's Send button and,
// when it asks to confirm the money (the SEND_MONEY popup), Accept.
func (c *Client) PressSend() error {
	if err := c.ClickButton("SendMailMailButton"); err != nil {
		return err
	}
	if c.Popup() == "SEND_MONEY" {
		return c.ClickButton("StaticPopup1Button1")
	}
	return nil
}
