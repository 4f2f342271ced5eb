package wowclient

import (
	"fmt"
	"time"
)

// The chat log as it is written. Nothing here can say how the 3.3.5a client writes
// WoWChatLog.txt (docs/product.md §9: "the client buffers the log"): no source for its
// file writes was found (the whoahq/whoa reconstruction has none), so every rule is
// settable and UNKNOWN. Options.LogBuffer > 0 models a C runtime stdio buffer: lines
// collect in memory and reach the file in chunks of exactly LogBuffer bytes when the
// buffer fills — a chunk may end in the middle of a line or of a UTF-8 character — and
// otherwise only when Options.LogFlushEvery passes (0: never) or FlushLog is called (a
// clean exit). The worst case we can justify is the Microsoft C runtime's default file
// buffer (its internal headers: "Real default size for stdio buffers", _INTERNAL_BUFSIZ
// 4096; the UCRT's stdio/_getbuf.cpp gives a stream that much on its first write) with no
// timed flush: then a quiet session may leave a tag unread for minutes. Whether the
// client writes the log through stdio at all is unknown; a bigger buffer of its own
// would be worse still. Whether LoggingChat(false) followed by LoggingChat(true) forces a flush
// (closing and reopening the file) is unknown too: FrameXML's only caller, the /chatlog
// command (tekkub/wow-ui-source@3.3.5 FrameXML/ChatFrame.lua:1437-1446), just toggles it
// and prints CHATLOGENABLED "Chat being logged to Logs\WoWChatLog.txt"
// (GlobalStrings.lua:1388), and whoahq/whoa@ea13456 has no LoggingChat at all.
// Options.LogFlushOnToggle models a client that does; it is off by default, and neither
// the addon nor the Desktop relies on it (TestChatLog_* in chatlog_test.go).

func (c *Client) writeLog(line string) {
	if c.opts.LogBuffer <= 0 {
		c.writeFile([]byte(line))
		return
	}
	c.logBuf = append(c.logBuf, line...)
	for len(c.logBuf) >= c.opts.LogBuffer {
		c.writeFile(c.logBuf[:c.opts.LogBuffer])
		c.logBuf = append([]byte(nil), c.logBuf[c.opts.LogBuffer:]...)
		c.lastFlush = c.now
	}
}

func (c *Client) writeFile(b []byte) {
	if _, err := c.logFile.Write(b); err != nil {
		c.errs = append(c.errs, fmt.Errorf("chat log: %w", err))
	}
}

// flushLog writes what the buffer holds.
func (c *Client) flushLog() {
	if len(c.logBuf) > 0 {
		c.writeFile(c.logBuf)
		c.logBuf = nil
	}
	c.lastFlush = c.now
}

// timedFlush runs every frame: the LogFlushEvery rule.
func (c *Client) timedFlush() {
	if c.opts.LogFlushEvery > 0 && c.now.Sub(c.lastFlush) >= c.opts.LogFlushEvery {
		c.flushLog()
	}
}

// FlushLog writes the chat log buffer out (a clean exit of the game does).
func (c *Client) FlushLog() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLog()
}

// BufferedLogBytes is how much of the chat log is still in the client's buffer.
func (c *Client) BufferedLogBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.logBuf)
}

// AmbientChat makes the world busy: every `every`, someone says a line of about `size`
// bytes in a city channel, which the chat log records like any other line (a trade
// channel at a busy hour). It stops when the client closes.
func (c *Client) AmbientChat(every time.Duration, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	var tick func()
	tick = func() {
		if c.closed {
			return
		}
		n++
		text := fmt.Sprintf("[2. Trade] [Merchant%d]: WTS Frostweave Cloth, cheap, whisper me ", n%7)
		for len(text) < size {
			text += "—"
		}
		c.display(text, true)
		c.after(every, tick)
	}
	c.after(every, tick)
}
