// Package inject types into the WoW client: an Injector per platform (window messages on
// Windows, the headless client in tests and demos, a "not found" one), one serial Queue
// in front of it so two commands never interleave, and the builders of the commands the
// addon understands (commands.go: the command key, then the command's characters).
package inject

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// MaxLineBytes is the most one typed command may be (the chat edit box's limit, kept for
// the command box too: docs/product.md §9 counts the 255 bytes on what is typed).
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
	// Send posts strokes to the game window, in order.
	Send(ctx context.Context, strokes []Stroke) error
}

// Queue serializes every typing into one client through one goroutine, off the UI: the
// strokes of one Send go in together, in order, never interleaved with another call.
type Queue struct {
	mu   sync.RWMutex
	inj  Injector
	jobs chan job
}

type job struct {
	ctx     context.Context
	strokes []Stroke
	done    chan error
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

// Run sends queued strokes until ctx is done.
func (q *Queue) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-q.jobs:
			err := j.ctx.Err()
			if err == nil {
				err = q.Injector().Send(j.ctx, j.strokes)
			}
			j.done <- err
		}
	}
}

// Send queues strokes to be sent together and waits until they are sent (or failed).
func (q *Queue) Send(ctx context.Context, strokes ...Stroke) error {
	j := job{ctx: ctx, strokes: strokes, done: make(chan error, 1)}
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

func (n None) Send(ctx context.Context, _ []Stroke) error {
	_, err := n.Find(ctx)
	return err
}

// Poster is what a headless client offers: it takes window messages.
type Poster interface {
	PostStrokes(strokes []Stroke) error
}

// Headless types into an in-process headless client (tests and the demo).
type Headless struct {
	mu sync.RWMutex
	c  Poster
}

// NewHeadless makes an injector for c (nil: not found until Attach).
func NewHeadless(c Poster) *Headless { return &Headless{c: c} }

// Attach swaps the client (nil detaches: the game "closed").
func (h *Headless) Attach(c Poster) {
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

func (h *Headless) Send(_ context.Context, strokes []Stroke) error {
	h.mu.RLock()
	c := h.c
	h.mu.RUnlock()
	if c == nil {
		return ErrNotFound
	}
	return c.PostStrokes(strokes)
}
