package allinonetest

import (
	"sync"
	"time"
)

// OffsetClock is the real clock shifted by an offset a test can move forward, so a
// whole running system can be sent past a deadline without waiting for it.
type OffsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is time.Now plus the offset.
func (c *OffsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *OffsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
