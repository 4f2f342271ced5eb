package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/journal"
)

// Typed is not delivered (docs/product.md §9). Every command for the addon — the /who of
// a cycle, the winner's consent whisper, ReceiveGold, the gift commands — is recorded in
// the journal first (submit) and typed by one loop (commandLoop), which:
//
//   - types nothing until the game has answered the self-test key with a pong in this
//     game session ("live"). Until then it presses the probe key every ProbeEvery: the
//     addon answers [MGM_PONG:<session>-<n>] and does nothing else, so the key is
//     harmless on the login screen, at character select, during a loading screen or
//     while a text box has the focus, where nothing answers;
//   - types a command (the command key, then "`MGM`<id> <call>`") and waits AckTimeout
//     for the addon's [MGM_ACK:<id>]. A command not acknowledged in time goes back to
//     the queue, and the gate closes: the loop probes again before it types anything
//     (the game may have gone to a loading or login screen, or the keys went elsewhere),
//     then types the command again with the same id — the addon runs a command once per
//     id. After MaxAttempts typings without an acknowledgement the command is failed and
//     shown in the window;
//   - closes the gate when the addon says its session ended ([MGM_BYE:<session>]) or the
//     game is not found, and opens it again on a pong;
//   - opens it only on a pong printed after a press of the key made while it was closed
//     (the log's timestamp says when), and keeps it open only LiveFor after the last line
//     of the log was printed (a pong, an acknowledgement, anyone's chat: lines are printed
//     only in the world): a command to type later waits for a new pong.
//     The client may hold the log back (pkg/wowclient chatlog.go), so the [MGM_BYE] of a
//     logout may not be read for long, and an old pong may be read late; either would
//     have a command typed into the login screen's account field (gate.go).
//
// The window's WoW light says which of these states the game is in.

// Command kinds (journal.Command.Kind).
const (
	cmdWho         = "who"
	cmdNotify      = "notify"
	cmdGold        = "gold"
	cmdGiftItems   = "gift-items"
	cmdGiftConsent = "gift-consent"
	cmdGiftDrop    = "gift-drop"
	cmdPing        = "ping"
	cmdPair        = "pair"
)

func newCommandID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// submit records commands for the addon and wakes the loop; they are typed when the
// game is live. Every call is checked to fit one typed command first.
func (a *App) submit(kind, subject string, calls ...inject.Call) ([]string, error) {
	ids := make([]string, 0, len(calls))
	for _, c := range calls {
		id := newCommandID()
		if _, err := inject.CommandText(id, c); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	for i, c := range calls {
		if _, err := a.j.AddCommand(journal.Command{ID: ids[i], Kind: kind, Subject: subject, Call: string(c)}); err != nil {
			return nil, err
		}
	}
	wake(a.wakeCmd)
	return ids, nil
}

// commandLoop probes and types until ctx is done.
func (a *App) commandLoop(ctx context.Context) {
	t := time.NewTicker(a.opts.CommandTick)
	defer t.Stop()
	for {
		a.commandStep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.wakeCmd:
		}
	}
}

func (a *App) commandStep(ctx context.Context) {
	desc, err := a.q.Find(ctx)
	if err != nil {
		a.setGame(func(g *gameState) {
			if g.state != gameMissing {
				g.state, g.session, g.why, g.since = gameMissing, "", "the game is not running", time.Time{}
			}
		})
		a.setStatus(&a.wow, "error", "%v", err)
		return
	}
	a.bridgeChecks(ctx)
	now := time.Now()
	a.expireTyped(now)
	a.mu.Lock()
	g := a.game
	if g.state == gameMissing || g.state == "" {
		a.game.state, a.game.probes = gameProbing, 0
		g = a.game
	}
	a.mu.Unlock()
	switch g.state {
	case gameProbing:
		a.setStatus(&a.wow, "warn", "found: %s — waiting for the game to answer the self-test key (%d tries). "+
			"It answers only in the world: the login screen, character select and loading screens take keys too, "+
			"and so does a text box with the focus (close your chat box). Check that the addon is loaded and chat logging is on.", desc, g.probes)
		if a.opts.NoStartPing || now.Sub(g.probeAt) < a.opts.ProbeEvery {
			return
		}
		a.mu.Lock()
		following := a.logStat.Level == "ok"
		a.mu.Unlock()
		if !following {
			return // an answer now could not be read: the log is not followed yet
		}
		// the press is recorded before the key goes out: its answer may be read at once
		a.setGame(func(g *gameState) { g.pressed(time.Now()); g.probes++ })
		if err := a.q.Send(ctx, inject.ProbeStrokes()...); err != nil {
			a.eventf("warn", "self-test key: %v", err)
			return
		}
	case gameLive:
		if a.staleGate(now, g) {
			wake(a.wakeCmd)
			return
		}
		a.setStatus(&a.wow, "ok", "in the world (addon session %s): %s", g.session, desc)
		a.typeQueued(ctx)
	}
}

// expireTyped sends a command that was not acknowledged in time back to the queue and
// closes the gate, or fails it after MaxAttempts typings.
func (a *App) expireTyped(now time.Time) {
	typed, err := a.j.Commands(journal.CmdTyped)
	if err != nil {
		a.eventf("error", "journal: %v", err)
		return
	}
	for _, c := range typed {
		if c.TypedAt == nil || now.Sub(*c.TypedAt) < a.opts.AckTimeout {
			continue
		}
		if c.Attempts >= a.opts.MaxAttempts {
			_, _, _ = a.j.UpdateCommand(c.ID, func(c *journal.Command) {
				c.State, c.Note = journal.CmdFailed, fmt.Sprintf("typed %d times, never acknowledged", c.Attempts)
			})
			a.eventf("error", "%s was typed %d times and the game never acknowledged it: see the WoW light, then retry it from the window", describeCmd(c), c.Attempts)
			continue
		}
		_, _, _ = a.j.UpdateCommand(c.ID, func(c *journal.Command) { c.State = journal.CmdQueued })
		a.closeGate(fmt.Sprintf("%s was not acknowledged within %s", describeCmd(c), a.opts.AckTimeout))
	}
}

// typeQueued types queued commands, oldest first, at most MaxInFlight unacknowledged.
func (a *App) typeQueued(ctx context.Context) {
	typed, _ := a.j.Commands(journal.CmdTyped)
	room := a.opts.MaxInFlight - len(typed)
	if room <= 0 {
		return
	}
	queued, err := a.j.Commands(journal.CmdQueued)
	if err != nil {
		a.eventf("error", "journal: %v", err)
		return
	}
	// a pairing goes first, and while this Desktop holds no key or waits for the answer
	// to a pairing nothing else is typed: the addon's acknowledgements would be unsigned
	// or signed with a key that is about to change, and cannot be taken (auth.go)
	sort.SliceStable(queued, func(i, j int) bool { return queued[i].Kind == cmdPair && queued[j].Kind != cmdPair })
	if a.pairingFirst() {
		var pairs []journal.Command
		for _, c := range queued {
			if c.Kind == cmdPair {
				pairs = append(pairs, c)
			}
		}
		queued = pairs
	}
	for i, c := range queued {
		if i >= room || !a.isLive() {
			return
		}
		text, err := inject.CommandText(c.ID, inject.Call(c.Call))
		if err != nil {
			_, _, _ = a.j.UpdateCommand(c.ID, func(c *journal.Command) { c.State, c.Note = journal.CmdFailed, err.Error() })
			continue
		}
		if i > 0 && *a.opts.TypeGap > 0 {
			time.Sleep(*a.opts.TypeGap)
		}
		if err := a.q.Send(ctx, inject.CommandStrokes(text)...); err != nil {
			a.eventf("warn", "could not type %s: %v", describeCmd(c), err)
			return
		}
		now := time.Now().UTC()
		c, _, _ = a.j.UpdateCommand(c.ID, func(c *journal.Command) {
			c.State, c.Attempts, c.TypedAt = journal.CmdTyped, c.Attempts+1, &now
		})
		if c.Attempts > 1 {
			a.eventf("info", "typed %s again (attempt %d)", describeCmd(c), c.Attempts)
		}
	}
}

// pairingFirst: this Desktop holds no key, a pairing it typed has no answer yet, or the
// answer's key is not confirmed yet (auth.go tentative).
func (a *App) pairingFirst() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.bkey.Valid() || a.tent != nil {
		return true
	}
	for _, pr := range a.pairings {
		if pr.pub == "" && time.Since(pr.started) < a.opts.PingTimeout {
			return true
		}
	}
	return false
}

// onAck marks a command acknowledged.
func (a *App) onAck(id string) {
	c, ok, err := a.j.UpdateCommand(id, func(c *journal.Command) {
		if c.State != journal.CmdAcked {
			now := time.Now().UTC()
			c.State, c.AckedAt = journal.CmdAcked, &now
		}
	})
	if err != nil {
		a.eventf("error", "journal: %v", err)
		return
	}
	if !ok {
		return // an acknowledgement of a command this Desktop did not type (or pruned)
	}
	if c.Attempts > 1 {
		a.eventf("info", "%s acknowledged after %d typings", describeCmd(c), c.Attempts)
	}
	wake(a.wakeCmd)
}

// RetryCommand is the window's Retry on a failed command: queued again, same id.
func (a *App) RetryCommand(id string) error {
	_, ok, err := a.j.UpdateCommand(id, func(c *journal.Command) {
		if c.State == journal.CmdFailed {
			c.State, c.Attempts, c.Note = journal.CmdQueued, 0, ""
		}
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no command %s", id)
	}
	wake(a.wakeCmd)
	return nil
}

func describeCmd(c journal.Command) string {
	what := map[string]string{
		cmdWho: "the /who", cmdNotify: "the consent whisper", cmdGold: "ReceiveGold",
		cmdGiftItems: "the gift item list request", cmdGiftConsent: "the gift consent whisper",
		cmdGiftDrop: "the gift drop", cmdPing: "the self-test", cmdPair: "the pairing",
	}[c.Kind]
	if what == "" {
		what = c.Kind
	}
	return fmt.Sprintf("%s for %s (command %s)", what, short(c.Subject), c.ID)
}

// CommandView is a command as the window lists it.
type CommandView struct {
	journal.Command
	Text string `json:"text"`
}

// commandViews are the commands not yet acknowledged and the failed ones, oldest first.
func (a *App) commandViews() []CommandView {
	cs, _ := a.j.Commands(journal.CmdQueued, journal.CmdTyped, journal.CmdFailed)
	out := make([]CommandView, 0, len(cs))
	for _, c := range cs {
		out = append(out, CommandView{Command: c, Text: strings.TrimSpace(describeCmd(c))})
	}
	return out
}
