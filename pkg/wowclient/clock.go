package wowclient

// The simulated clock: frames, the server's scheduled answers and OnUpdate.

import (
	"context"
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Now is the simulated wall clock.
func (c *Client) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d in frames of Options.Frame: each frame runs what the
// server scheduled (who answers, mail results) and then every visible frame's OnUpdate.
func (c *Client) Advance(d time.Duration) {
	for d > 0 {
		step := min(d, c.opts.Frame)
		d -= step
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		c.frame(step)
		c.mu.Unlock()
	}
}

// Start runs the client in real time: a goroutine advances the clock by the real elapsed
// time every Options.Frame until ctx is done or Close is called.
func (c *Client) Start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.closed {
		return
	}
	c.started = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(c.opts.Frame)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.stop:
				return
			case now := <-t.C:
				d := now.Sub(last)
				last = now
				c.mu.Lock()
				if !c.closed {
					c.frame(d)
				}
				c.mu.Unlock()
			}
		}
	}()
}

func (c *Client) frame(step time.Duration) {
	c.now = c.now.Add(step)
	c.timedFlush()
	for {
		sort.SliceStable(c.timers, func(i, j int) bool {
			if c.timers[i].at.Equal(c.timers[j].at) {
				return c.timers[i].seq < c.timers[j].seq
			}
			return c.timers[i].at.Before(c.timers[j].at)
		})
		if len(c.timers) == 0 || c.timers[0].at.After(c.now) {
			break
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		t.fn()
	}
	if !c.loggedIn {
		return
	}
	for _, w := range append([]*widget(nil), c.widgets...) {
		c.flushTextChanged(w)
	}
	elapsed := lua.LNumber(step.Seconds())
	for _, w := range append([]*widget(nil), c.widgets...) {
		if fn := w.scripts["OnUpdate"]; fn != nil && w.visible() {
			c.protect(fn, w.tbl, elapsed)
		}
	}
	c.afterLua()
}

func (c *Client) after(d time.Duration, fn func()) {
	c.seq++
	c.timers = append(c.timers, scheduled{at: c.now.Add(d), seq: c.seq, fn: fn})
}

// afterLua runs what Lua asked for that cannot happen inside a Lua call (ReloadUI).
func (c *Client) afterLua() {
	if c.wantReload && c.inLua == 0 && c.loggedIn {
		if err := c.reloadLocked(); err != nil {
			c.errs = append(c.errs, err)
		}
	}
}
