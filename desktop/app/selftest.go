package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/mimiron/mgm/desktop/inject"
)

// pingState is the self-test in flight.
type pingState struct {
	nonce  string
	sentAt time.Time
	done   chan struct{}
	took   time.Duration
	ok     bool
}

// ErrNoEcho is the self-test's failure: the pong never came back through the log.
var ErrNoEcho = errors.New("no echo through the chat log")

// The bridge self-test presses the addon's self-test key (inject.KeyProbe); the addon
// answers [MGM_PONG:<session>-<n>] through the log, which proves at once that the game
// is in the world, that the keys reach the addon and that the chat log carries its tags.
// The typing loop presses the key by itself while the game has not answered
// (commands.go); Ping is the window's button.

// StartPing presses the self-test key and returns; the bridge status tells the outcome
// when the pong comes back through the log, or after PingTimeout.
func (a *App) StartPing(ctx context.Context) error {
	_, err := a.ping1(ctx, false)
	return err
}

// Ping runs the self-test and waits for its outcome.
func (a *App) Ping(ctx context.Context) (time.Duration, error) {
	return a.ping1(ctx, true)
}

func (a *App) ping1(ctx context.Context, wait bool) (time.Duration, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	p := &pingState{nonce: "probe-" + hex.EncodeToString(b), done: make(chan struct{})}
	a.mu.Lock()
	if a.pings == nil {
		a.pings = make(map[string]*pingState)
	}
	a.pings[p.nonce] = p
	a.ping = p
	a.bridge = Status{"warn", "self-test running…"}
	p.sentAt = time.Now()
	a.game.pressed(p.sentAt)
	a.mu.Unlock()
	if err := a.q.Send(ctx, inject.ProbeStrokes()...); err != nil {
		a.mu.Lock()
		delete(a.pings, p.nonce)
		a.mu.Unlock()
		a.setStatus(&a.bridge, "error", "self-test could not press its key in the game: %v", err)
		return 0, err
	}
	a.eventf("info", "bridge self-test: pressed the self-test key (%s)", inject.KeyProbe)
	timeout := a.opts.PingTimeout
	check := func() (time.Duration, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.pings, p.nonce)
		if p.ok {
			return p.took, nil
		}
		if a.ping == p && a.refusedPong != "" {
			a.bridge = Status{"error", fmt.Sprintf("no usable echo of the self-test in %s: a [MGM_PONG] line reached the "+
				"chat log but was refused (%s). See the event log; if the line's form is right for your client, report it.",
				timeout.Round(time.Second), a.refusedPong)}
		} else if a.ping == p {
			a.bridge = Status{"error", fmt.Sprintf("no echo of the self-test in %s. The game answers its key only in the world "+
				"and when no text box has the focus (close your chat box), with the addon loaded. In WoW: make sure chat logging is on "+
				"(the addon turns it on at login; /chatlog toggles it) and that the WoW folder or log path in Settings is right. "+
				"If it still fails, your client does not log addon messages (or holds the log back): type /mgm emit whisper (tags "+
				"then travel as a whisper to yourself, which the client logs) and press Ping again.", timeout.Round(time.Second))}
		}
		return 0, ErrNoEcho
	}
	if !wait {
		go func() {
			select {
			case <-p.done:
			case <-time.After(timeout):
				if _, err := check(); err != nil {
					a.eventf("warn", "bridge self-test: %v", err)
				}
			}
		}()
		return 0, nil
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
	case <-ctx.Done():
		a.mu.Lock()
		delete(a.pings, p.nonce)
		a.mu.Unlock()
		return 0, ctx.Err()
	}
	return check()
}

// onProbePong completes every self-test that pressed the key before this pong came.
func (a *App) onProbePong() {
	a.mu.Lock()
	var done []*pingState
	for n, p := range a.pings {
		if p.ok || len(n) < 6 || n[:6] != "probe-" {
			continue
		}
		delete(a.pings, n)
		p.ok, p.took = true, time.Since(p.sentAt)
		close(p.done)
		done = append(done, p)
		a.bridge = Status{"ok", fmt.Sprintf("log bridge OK (%.1f s)", p.took.Seconds())}
	}
	a.mu.Unlock()
	for _, p := range done {
		a.eventf("info", "bridge self-test: log bridge OK (%.1f s)", p.took.Seconds())
	}
}

// onPong completes the self-test whose nonce came back. Several may be in flight
// (the one at start and one the streamer asked for); each waits for its own nonce,
// and any echo proves the bridge works.
func (a *App) onPong(nonce string) {
	a.mu.Lock()
	p := a.pings[nonce]
	if p == nil || p.ok {
		a.mu.Unlock()
		return
	}
	delete(a.pings, nonce)
	p.ok, p.took = true, time.Since(p.sentAt)
	a.bridge = Status{"ok", fmt.Sprintf("log bridge OK (%.1f s)", p.took.Seconds())}
	close(p.done)
	a.mu.Unlock()
	a.eventf("info", "bridge self-test: log bridge OK (%.1f s)", p.took.Seconds())
}
