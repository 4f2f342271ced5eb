package ports

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/ingest/app"
)

// DefaultBacklogCap is how many chat commands a Backlog keeps at most: about 20 MB at a
// kilobyte each (a command is one chat line of at most 500 characters and a few ids),
// and more than a large channel's whole audience typing !twgold during an outage.
const DefaultBacklogCap = 20_000

// Backlog keeps the chat commands read from the EventSub WebSocket until the message
// bus has stored them (docs/product.md §12, "Two transports"). Twitch never sends a
// WebSocket notification again — "There is no replay of events that are lost"
// (https://dev.twitch.tv/docs/eventsub/handling-websocket-events/) — so a command that
// reached this process is this process's to keep: the socket goes on being read
// (keepalives, pings and session_reconnect do not wait for the bus), and one publisher
// stores the commands in the order they arrived, trying each again with backoff until
// the bus takes it. Each is stored under its message id as Nats-Msg-Id, as a webhook
// delivery is, so an attempt whose answer was lost is not stored twice (within the
// stream's duplicate window, natsx.DuplicateWindow).
//
// The memory is bounded by Cap. A command arriving while Cap commands wait is dropped:
// the oldest keep their place (their viewers typed first), and the drop is loud — a log
// line naming the viewer and the text, mgm_ingest_websocket_backlog_dropped_total, and
// /readyz unready while the backlog is full. What the process holds when it dies is
// lost; a stop gives the bus a grace period (Drain) and logs each command left.
type Backlog struct {
	App     app.Service
	Log     *zap.Logger
	Metrics *Metrics
	// Cap bounds the commands kept (default DefaultBacklogCap).
	Cap int
	// Backoff is the first wait between attempts at one command, doubled up to
	// MaxBackoff (defaults 100 ms and 5 s).
	Backoff, MaxBackoff time.Duration
	// Stall is how long the oldest command may wait before /readyz says so (default
	// 30 s).
	Stall time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	queue   []queued
	closed  bool  // Drain started: nothing more is taken
	full    bool  // dropping since the backlog was last below its cap
	dropped int64 // dropped since full became true
	wake    chan struct{}
	once    sync.Once
}

type queued struct {
	cmd app.Command
	at  time.Time
}

func (b *Backlog) init() {
	b.once.Do(func() { b.wake = make(chan struct{}, 1) })
}

func (b *Backlog) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Backlog) capacity() int {
	if b.Cap > 0 {
		return b.Cap
	}
	return DefaultBacklogCap
}

func (b *Backlog) log() *zap.Logger {
	if b.Log == nil {
		return zap.NewNop()
	}
	return b.Log
}

// Add keeps c until it is stored; it never waits. It refuses c (and logs it as lost)
// when the backlog is full or draining.
func (b *Backlog) Add(c app.Command) error {
	b.init()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.lost(c, "ingest is stopping")
		return errs.E(errs.Unavailable, "ingest is stopping: chat command not kept")
	}
	if n := len(b.queue); n >= b.capacity() {
		first := !b.full
		b.full = true
		b.dropped++
		b.mu.Unlock()
		if first {
			b.log().Error("chat backlog full: the message bus has not taken the waiting chat commands; newer ones are dropped until it does",
				zap.Int("waiting", n))
		}
		b.Metrics.BacklogDropped.Inc()
		b.lost(c, "the chat backlog is full")
		return errs.E(errs.Unavailable, "chat backlog full: chat command dropped")
	}
	b.queue = append(b.queue, queued{cmd: c, at: b.now()})
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

// lost logs a command that will never be stored, with what a streamer needs to enter
// it by hand.
func (b *Backlog) lost(c app.Command, why string) {
	m := c.Message
	b.log().Error("chat command lost: "+why, zap.String("messageId", c.DeliveryID), zap.String("userId", m.UserID),
		zap.String("userLogin", m.UserLogin), zap.String("text", m.Text), zap.Time("sentAt", c.SentAt))
}

// Len is how many commands wait.
func (b *Backlog) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// OldestWait is how long the oldest waiting command has waited (0 when none waits).
func (b *Backlog) OldestWait() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return 0
	}
	return b.now().Sub(b.queue[0].at)
}

// Ready is the backlog's readiness check: unready while it is full (commands are
// being dropped) or while its oldest command has waited longer than Stall.
func (b *Backlog) Ready(context.Context) error {
	b.mu.Lock()
	n, full := len(b.queue), b.full
	var waited time.Duration
	if n > 0 {
		waited = b.now().Sub(b.queue[0].at)
	}
	b.mu.Unlock()
	stall := b.Stall
	if stall <= 0 {
		stall = 30 * time.Second
	}
	switch {
	case full:
		return errs.E(errs.Unavailable, "chat backlog full: %d chat commands wait for the message bus and newer ones are dropped", n)
	case n > 0 && waited > stall:
		return errs.E(errs.Unavailable, "%d chat command(s) wait for the message bus, the oldest for %s", n, waited.Round(100*time.Millisecond))
	}
	return nil
}

// Run stores the waiting commands in order until ctx ends; what is not stored by then
// stays for Drain.
func (b *Backlog) Run(ctx context.Context) {
	b.init()
	b.publish(ctx, false)
}

// Drain takes nothing more and stores what waits until the backlog is empty or ctx
// ends (the stop's grace period); each command left is logged as lost. It returns how
// many were left.
func (b *Backlog) Drain(ctx context.Context) int {
	b.init()
	b.mu.Lock()
	b.closed = true
	n := len(b.queue)
	b.mu.Unlock()
	if n > 0 {
		b.log().Info("stopping: storing the chat commands still waiting", zap.Int("waiting", n))
	}
	b.publish(ctx, true)
	b.mu.Lock()
	left := b.queue
	b.queue = nil
	b.mu.Unlock()
	for _, q := range left {
		b.Metrics.BacklogLost.Inc()
		b.lost(q.cmd, "ingest stopped before the message bus took it")
	}
	if len(left) > 0 {
		b.log().Error("chat commands lost at stop: the message bus did not take them within the grace period", zap.Int("lost", len(left)))
	}
	return len(left)
}

// publish stores the head of the queue until it is stored, then the next; it returns
// when ctx ends, or, with untilEmpty, when nothing waits.
func (b *Backlog) publish(ctx context.Context, untilEmpty bool) {
	for {
		b.mu.Lock()
		var c app.Command
		n := len(b.queue)
		if n > 0 {
			c = b.queue[0].cmd
		}
		b.mu.Unlock()
		if n == 0 {
			if untilEmpty {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-b.wake:
				continue
			}
		}
		if !b.store(ctx, c) {
			return
		}
		b.pop()
	}
}

// pop removes the stored head.
func (b *Backlog) pop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue[0] = queued{}
	b.queue = b.queue[1:]
	if len(b.queue) == 0 {
		b.queue = nil // let a large backlog's array go
	}
	// Hysteresis: the backlog counts as full again only after a tenth of it is stored,
	// so a bus that takes commands slowly at the cap is one episode, not many.
	if b.full && len(b.queue) <= b.capacity()*9/10 {
		b.log().Warn("chat backlog below its cap again: new chat commands are kept", zap.Int64("droppedMeanwhile", b.dropped),
			zap.Int("waiting", len(b.queue)))
		b.full, b.dropped = false, 0
	}
}

// store stores c, trying again with backoff while the failure is temporary; false
// means ctx ended first (c stays at the head).
func (b *Backlog) store(ctx context.Context, c app.Command) bool {
	wait, most := b.Backoff, b.MaxBackoff
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	if most <= 0 {
		most = 5 * time.Second
	}
	var failingSince, lastLog time.Time
	for attempt := 1; ; attempt++ {
		out, err := b.App.Store(ctx, c)
		if err == nil {
			if !failingSince.IsZero() {
				b.log().Info("the message bus takes chat commands again", zap.Int("attempts", attempt),
					zap.Duration("after", b.now().Sub(failingSince).Round(time.Millisecond)), zap.Int("waiting", b.Len()-1))
			}
			switch out {
			case app.Published:
				b.Metrics.Published.Inc()
			case app.Duplicate:
				b.Metrics.Duplicates.Inc()
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		code := errs.CodeOf(err)
		if !errs.Temporary(code) {
			// Trying again cannot help; keeping it would hold every later command back.
			b.Metrics.refused(code)
			b.lost(c, "the message bus refused it: "+err.Error())
			return true
		}
		b.Metrics.PublishRetries.Inc()
		if failingSince.IsZero() {
			failingSince = b.now()
		}
		if lastLog.IsZero() || b.now().Sub(lastLog) >= 30*time.Second {
			lastLog = b.now()
			b.log().Warn("chat command not stored yet: the message bus is unavailable; trying again until it takes it",
				zap.String("messageId", c.DeliveryID), zap.Int("attempt", attempt), zap.Int("waiting", b.Len()), zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(wait*2, most)
	}
}
