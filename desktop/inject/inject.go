// Package inject types chat lines into the WoW client: an Injector per platform (window
// messages on Windows, the headless client in tests and demos, a "not found" one), one
// serial Queue in front of it so two commands never interleave, and the builders of the
// /run lines the addon understands.
package inject

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxLineBytes is the most the client's chat edit box takes (docs/product.md §2).
const MaxLineBytes = 255

// Strategies of the Windows injector: window messages (works with WoW in the
// background), or synthesized keyboard input (brings WoW to the front first).
const (
	StrategyPostMessage = "postmessage"
	StrategySendInput   = "sendinput"
)

// ErrNotFound means the WoW client (window or process) is not there to type into.
var ErrNotFound = errors.New("WoW client not found")

// Injector types into one WoW client.
type Injector interface {
	// Name says what kind of injector this is ("windows/postmessage", "headless", …).
	Name() string
	// Find looks for the client and describes it; ErrNotFound when it is not running.
	Find(ctx context.Context) (string, error)
	// Type types one chat line: open the edit box, the text, Enter.
	Type(ctx context.Context, line string) error
}

// CheckLine refuses what the client would: more than 255 bytes, a line break, invalid
// UTF-8.
func CheckLine(line string) error {
	if len(line) > MaxLineBytes {
		return fmt.Errorf("chat line is %d bytes, the client takes at most %d", len(line), MaxLineBytes)
	}
	if strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
		return errors.New("chat line holds a line break or invalid UTF-8")
	}
	return nil
}

// Queue serializes every typing into one client through one goroutine, off the UI: the
// lines of one Type call go in together, in order, never interleaved with another call.
type Queue struct {
	mu  sync.RWMutex
	inj Injector
	// Gap is the pause between two typed lines (the real client needs a moment to close
	// the edit box); 0 in tests.
	Gap  time.Duration
	jobs chan job
}

type job struct {
	ctx   context.Context
	lines []string
	done  chan error
}

// NewQueue makes a queue in front of inj. Call Run to start it.
func NewQueue(inj Injector) *Queue {
	return &Queue{inj: inj, jobs: make(chan job)}
}

// SetInjector swaps the injector (the streamer changed the strategy or process name).
func (q *Queue) SetInjector(inj Injector) {
	q.mu.Lock()
	q.inj = inj
	q.mu.Unlock()
}

// Injector is the current injector.
func (q *Queue) Injector() Injector {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.inj
}

// Find asks the current injector whether the client is there.
func (q *Queue) Find(ctx context.Context) (string, error) {
	return q.Injector().Find(ctx)
}

// Run types queued lines until ctx is done.
func (q *Queue) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-q.jobs:
			j.done <- q.typeAll(j)
		}
	}
}

func (q *Queue) typeAll(j job) error {
	inj := q.Injector()
	for i, l := range j.lines {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		if i > 0 && q.Gap > 0 {
			time.Sleep(q.Gap)
		}
		if err := inj.Type(j.ctx, l); err != nil {
			return fmt.Errorf("type line %d of %d: %w", i+1, len(j.lines), err)
		}
	}
	return nil
}

// Type queues lines to be typed together and waits until they are typed (or failed).
// Every line is checked before any is typed.
func (q *Queue) Type(ctx context.Context, lines ...string) error {
	for _, l := range lines {
		if err := CheckLine(l); err != nil {
			return err
		}
	}
	j := job{ctx: ctx, lines: lines, done: make(chan error, 1)}
	select {
	case q.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// None is the injector used when nothing can be typed into: no client on this platform
// or none configured.
type None struct{ Reason string }

func (n None) Name() string { return "none" }

func (n None) Find(context.Context) (string, error) {
	if n.Reason != "" {
		return "", fmt.Errorf("%w: %s", ErrNotFound, n.Reason)
	}
	return "", ErrNotFound
}

func (n None) Type(ctx context.Context, _ string) error {
	_, err := n.Find(ctx)
	return err
}

// Typer is what the headless client offers (pkg/wowclient's Client.Type).
type Typer interface {
	Type(line string) error
}

// Headless types into an in-process headless client (tests and the demo).
type Headless struct {
	mu sync.RWMutex
	c  Typer
}

// NewHeadless makes an injector for c (nil: not found until Attach).
func NewHeadless(c Typer) *Headless { return &Headless{c: c} }

// Attach swaps the client (nil detaches: the game "closed").
func (h *Headless) Attach(c Typer) {
	h.mu.Lock()
	h.c = c
	h.mu.Unlock()
}

func (h *Headless) Name() string { return "headless" }

func (h *Headless) Find(context.Context) (string, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.c == nil {
		return "", ErrNotFound
	}
	return "headless WoW client", nil
}

func (h *Headless) Type(_ context.Context, line string) error {
	h.mu.RLock()
	c := h.c
	h.mu.RUnlock()
	if c == nil {
		return ErrNotFound
	}
	return c.Type(line)
}
