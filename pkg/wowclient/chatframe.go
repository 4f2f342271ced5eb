package wowclient

// The default chat frame: what it displays and logs, and what its edit box does with a
// typed line.

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// display shows a line in the default chat frame and writes it to the chat log when
// logging is on. fromEvent marks chat events (whispers, system lines), which the client
// surely logs, as opposed to AddMessage output.
func (c *Client) display(text string, fromEvent bool) {
	c.chat = append(c.chat, text)
	if !c.logging || (!fromEvent && c.opts.UnloggedAddMessage) {
		return
	}
	t := c.now.In(c.opts.Location)
	c.writeLog(fmt.Sprintf("%d/%d %02d:%02d:%02d.%03d  %s\n", int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6, text))
}

// ChatLines are the texts the default chat frame displayed, oldest first (no timestamps).
func (c *Client) ChatLines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.chat...)
}

// Lines is ChatLines.
func (c *Client) Lines() []string { return c.ChatLines() }

// TagLines are the chat lines that hold an MGM tag ("[MGM_").
func (c *Client) TagLines() []string {
	var out []string
	for _, l := range c.ChatLines() {
		if strings.Contains(l, "[MGM_") {
			out = append(out, l)
		}
	}
	return out
}

// LogLines reads WoWChatLog.txt.
func (c *Client) LogLines() ([]string, error) {
	b, err := os.ReadFile(c.LogPath())
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// Logging reports whether chat logging is on (LoggingChat).
func (c *Client) Logging() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logging
}

// Type accepts one chat line as a player (or the Desktop's injector) types it into the
// chat edit box: "/run …", "/script …", "/who …", "/w Name text", "/reload", an addon's
// slash command, or plain text (said). Lines over 255 bytes are rejected like the client's
// edit box does. A Lua error in /run is returned (and recorded in Errors).
func (c *Client) Type(line string) error {
	if len(line) > MaxLineBytes {
		return ErrLineTooLong
	}
	if strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
		return ErrInvalidLine
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if !c.loggedIn {
		return ErrLoggedOut
	}
	if c.screen != ScreenWorld {
		return ErrNotInWorld
	}
	defer c.afterLua()
	return c.chatLine(line)
}

// chatLine is what the chat edit box does with a line when Enter sends it.
func (c *Client) chatLine(line string) error {
	text := strings.TrimLeft(line, " ")
	if text == "" {
		return nil
	}
	if !strings.HasPrefix(text, "/") {
		return c.callGlobal("SendChatMessage", lua.LString(text), lua.LString("SAY"))
	}
	cmd, rest, _ := strings.Cut(text, " ")
	cmd = strings.ToLower(cmd)
	rest = strings.TrimSpace(rest)
	switch cmd {
	case "/run", "/script":
		fn, err := c.L.LoadString(rest)
		if err != nil {
			c.errs = append(c.errs, err)
			return err
		}
		return c.protect(fn)
	case "/who":
		return c.callGlobal("SendWho", lua.LString(rest))
	case "/w", "/whisper", "/t", "/tell", "/send":
		to, msg, _ := strings.Cut(rest, " ")
		if to == "" || strings.TrimSpace(msg) == "" {
			return nil
		}
		return c.callGlobal("SendChatMessage", lua.LString(msg), lua.LString("WHISPER"), lua.LNil, lua.LString(to))
	case "/s", "/say":
		return c.callGlobal("SendChatMessage", lua.LString(rest), lua.LString("SAY"))
	case "/reload", "/reloadui":
		c.wantReload = true
		return nil
	case "/console":
		if strings.EqualFold(rest, "reloadui") {
			c.wantReload = true
		}
		return nil
	}
	if fn := c.slashHandler(cmd); fn != nil {
		return c.protect(fn, lua.LString(rest), lua.LNil)
	}
	c.display("Type '/help' for a listing of a few commands.", true)
	return fmt.Errorf("%w: %s", ErrUnknownCommand, cmd)
}

// slashHandler finds SlashCmdList[KEY] for the SLASH_KEYn global equal to cmd.
func (c *Client) slashHandler(cmd string) lua.LValue {
	list, ok := c.L.GetGlobal("SlashCmdList").(*lua.LTable)
	if !ok {
		return nil
	}
	var found lua.LValue
	c.L.ForEach(c.L.G.Global, func(k, v lua.LValue) {
		ks, ok := k.(lua.LString)
		vs, ok2 := v.(lua.LString)
		if found != nil || !ok || !ok2 || !strings.HasPrefix(string(ks), "SLASH_") || !strings.EqualFold(string(vs), cmd) {
			return
		}
		key := strings.TrimRight(string(ks)[len("SLASH_"):], "0123456789")
		if fn, ok := list.RawGetString(key).(*lua.LFunction); ok {
			found = fn
		}
	})
	return found
}
