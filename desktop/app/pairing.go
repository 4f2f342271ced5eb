package app

// Pairing this Desktop with the addon (pkg/tagsig): the key kept, MGM_Pair and its answer,
// the tentative key until the self-test key confirms it, and the checks that press that key.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/tagsig"
)

// pairing is one MGM_Pair typed into the game.
type pairing struct {
	p       *tagsig.Pairing
	started time.Time
	pub     string // the addon's answer, once one was taken
	// answerKey is the id of the key that answer agreed on
	answerKey string
	done      chan struct{}
	err       error // why the pairing failed, once done is closed
	closed    bool
}

// finish ends the pairing for whoever waits in Pair (a.mu held).
func (pr *pairing) finish(err error) {
	if !pr.closed {
		pr.closed, pr.err = true, err
		close(pr.done)
	}
}

// tentative is the key a pairing answer agreed on, until the addon itself shows it holds
// it. A pairing answer is a line in the log, and the typing of MGM_Pair may have gone
// astray — into a box the addon cannot see, which the stream shows: whoever watched it
// knows the nonce and the Desktop's public key, and with a line of their own in the log
// could answer the pairing before the addon and share a key with the Desktop. So nothing
// signed with the new key is acted on (it is held) until a pong signed with it answers a
// press of the self-test key made after the answer was read — the self-test key reaches
// only the streamer's own addon, which answers at once, and whoever forges lines does not
// see the press; a pong the addon prints without the new key (in one of the forms only
// the addon writes) refutes the answer instead. A confirmed key replaces the old one a
// moment later (settle), if nothing refuted it meanwhile.
type tentative struct {
	key   tagsig.Key
	nonce string
	pr    *pairing
	// press is the first press of the self-test key after the answer was read; last the
	// latest (the key is pressed again every ProbeEvery until a pong confirms).
	press, last time.Time
	// okAt is when a pong signed with key was read after press.
	okAt time.Time
	held []journal.Found
}

// loadBridge restores the pairing kept by the Store (or given in Options).
func (a *App) loadBridge() {
	b := settings.Bridge{Key: a.opts.BridgeKey, Self: a.opts.BridgeSelf}
	if a.opts.Store != nil {
		var err error
		if b, err = a.opts.Store.LoadBridge(); err != nil {
			a.eventf("warn", "%v — the bridge pairs again after the next self-test", err)
			b = settings.Bridge{}
		}
	}
	a.self = b.Self
	if len(b.Key) > 0 {
		if k, err := tagsig.NewKey(b.Key); err == nil {
			a.bkey = k
		}
	}
	if a.bkey.Valid() {
		a.pairStat = Status{"ok", fmt.Sprintf("paired (key %s); the self-test checks that the addon holds it", a.bkey.ID)}
	} else {
		a.pairStat = Status{"warn", "bridge not paired: the Desktop pairs with the addon as soon as the self-test passes"}
	}
}

// saveBridgeLocked keeps the pairing; a.mu is held.
func (a *App) saveBridgeLocked() {
	if a.opts.Store == nil {
		return
	}
	b := settings.Bridge{Self: a.self}
	if a.bkey.Valid() {
		b.Key = a.bkey.Secret()
	}
	if err := a.opts.Store.SaveBridge(b); err != nil {
		a.saveErr = err // logged by the caller of admit, outside the lock
	}
}

// dropPairCommandsLocked stops typing a pairing that was refused: typed again, it would
// give the addon a key this Desktop no longer takes.
func (a *App) dropPairCommandsLocked(nonce string) {
	cs, err := a.j.Commands(journal.CmdQueued, journal.CmdTyped)
	if err != nil {
		return
	}
	for _, c := range cs {
		if c.Kind == cmdPair && c.Subject == nonce {
			_, _, _ = a.j.UpdateCommand(c.ID, func(c *journal.Command) {
				c.State, c.Note = journal.CmdAcked, "dropped: the pairing was refused (not typed again)"
			})
		}
	}
}

// refuteLocked drops the tentative key and what was held with it; the key this Desktop
// held before stays. It returns the event to log.
func (a *App) refuteLocked(why string) string {
	tn := a.tent
	a.tent = nil
	delete(a.pairings, tn.nonce)
	a.refused += len(tn.held)
	a.pairStat = Status{"error", "pairing refused: " + why + ", so the answer did not come from your addon (another player " +
		"can write lines into your chat log). Nothing signed with that key was used; the Desktop pairs again when needed."}
	tn.pr.finish(errors.New("pairing refused: " + why))
	a.dropPairCommandsLocked(tn.nonce)
	return fmt.Sprintf("bridge: pairing %s refused: %s; %d line(s) signed with its key dropped", tn.nonce, why, len(tn.held))
}

// pairWindow is how long after typing MGM_Pair a different second answer counts as a
// conflict; later ones are refused without touching the key (the real answer comes
// within seconds).
const pairWindow = 2 * time.Minute

// takePairLocked takes the addon's answer to a pairing: the key derived from it must be
// the one the answer is signed with. The key is tentative until the addon shows it holds
// it (see tentative). A second, different, well-signed answer to the same pairing means
// something else writes [MGM_PAIR] lines into the log (it saw the nonce and the public
// key on stream): the Desktop cannot tell which answer is the addon's, so the pairing is
// dropped and its key with it, visibly.
func (a *App) takePairLocked(l tags.Line) error {
	t := l.Tag
	pr := a.pairings[t.ID]
	if pr == nil {
		return refuse("a pairing answer for no pairing this Desktop started")
	}
	if !l.Signed() {
		return refuse("an unsigned pairing answer")
	}
	if pr.pub == t.PairPub {
		return nil // the same answer again (a whisper is logged as sent and as received)
	}
	k, err := pr.p.Finish(t.PairPub)
	if err != nil {
		return refuse("pairing answer: %v", err)
	}
	if l.KeyID != k.ID || !k.Verify(l.Text, l.MAC) {
		return refuse("a pairing answer not signed with the key it agrees on")
	}
	if pr.pub != "" {
		if time.Since(pr.started) > pairWindow {
			return refuse("a late second answer to pairing %s, ignored", t.ID)
		}
		delete(a.pairings, t.ID)
		if a.tent != nil && a.tent.nonce == t.ID {
			a.refused += len(a.tent.held)
			a.tent = nil
		} else if a.bkey.ID == pr.answerKey {
			a.bkey = tagsig.Key{}
			a.saveBridgeLocked()
		}
		a.pairStat = Status{"error", "pairing refused: two different answers came back for one pairing, so something " +
			"else writes into your chat log. The key is dropped; the next self-test pairs again (see the event log)."}
		pr.finish(errors.New("two different answers"))
		a.dropPairCommandsLocked(t.ID)
		return refuse("a second, different answer to pairing %s: the pairing and its key are dropped", t.ID)
	}
	pr.pub, pr.answerKey = t.PairPub, k.ID
	if a.tent != nil { // an older pairing's answer not confirmed yet: this one replaces it
		a.refused += len(a.tent.held)
		a.tent.pr.finish(errors.New("replaced by a newer pairing"))
		delete(a.pairings, a.tent.nonce)
		a.dropPairCommandsLocked(a.tent.nonce)
	}
	a.tent = &tentative{key: k, nonce: t.ID, pr: pr}
	// pongs read before this answer (a burst, one batch) spoke of the addon's old key:
	// they start no new pairing
	for n := range a.pongSigs {
		delete(a.pongSigs, n)
	}
	a.suspect = time.Time{}
	a.pairStat = Status{"warn", fmt.Sprintf("pairing: the addon answered (key %s); checking with the self-test key that the answer is the addon's…", k.ID)}
	wake(a.wakeCmd) // bridgeChecks presses the self-test key
	return nil
}

// confirmLocked makes a confirmed tentative key the key in use, once it has settled. It
// returns the lines held with it, to be handled now, and the event to log.
func (a *App) confirmLocked(now time.Time) ([]journal.Found, string) {
	tn := a.tent
	if tn == nil || tn.okAt.IsZero() || now.Sub(tn.okAt) < a.settle() {
		return nil, ""
	}
	a.tent = nil
	a.bkey = tn.key
	a.suspect = time.Time{}
	a.saveBridgeLocked()
	a.pairStat = Status{"ok", fmt.Sprintf("paired (key %s)", tn.key.ID)}
	tn.pr.finish(nil)
	return tn.held, fmt.Sprintf("bridge: the addon answered the self-test with the new key %s: paired", tn.key.ID)
}

// settle is how long a confirmed key waits for a refuting pong read right after the
// confirming one (in the next reads of the log).
func (a *App) settle() time.Duration {
	return max(time.Second, 4*a.opts.TailEvery)
}

// bridgeChecks runs from the typing loop (the game window is found): it presses the
// self-test key for a tentative key and for a suspicious pong, confirms a settled key and
// gives up a key the addon no longer answers with.
func (a *App) bridgeChecks(ctx context.Context) {
	now := time.Now()
	press := false
	a.mu.Lock()
	held, confirmed := a.confirmLocked(now)
	if tn := a.tent; tn != nil && tn.okAt.IsZero() && (tn.last.IsZero() || now.Sub(tn.last) >= a.opts.ProbeEvery) {
		if tn.press.IsZero() {
			tn.press = now
		}
		tn.last, press = now, true
	}
	dropped := ""
	if !a.suspect.IsZero() && a.tent == nil && a.bkey.Valid() {
		switch {
		case now.Sub(a.suspect) >= a.opts.PingTimeout:
			dropped = a.bkey.ID
			a.bkey, a.suspect = tagsig.Key{}, time.Time{}
			a.saveBridgeLocked()
			a.pairStat = Status{"warn", "bridge not paired: the addon no longer answers the self-test with this Desktop's key " +
				"(a reinstall, SavedVariables lost, or another Desktop paired with it); pairing again"}
		case a.suspectPress.IsZero():
			a.suspectPress, press = now, true
		}
	}
	a.mu.Unlock()
	if confirmed != "" {
		a.eventf("info", "%s", confirmed)
		a.mu.Lock()
		path := a.tailPath
		a.mu.Unlock()
		if len(held) > 0 {
			_ = a.record(path, nil, held, nil)
		}
	}
	if dropped != "" {
		a.eventf("warn", "bridge: the addon did not answer the self-test with key %s within %s: the key is given up and the "+
			"Desktop pairs again", dropped, a.opts.PingTimeout.Round(time.Second))
		a.closeGate("the addon does not hold this Desktop's key")
	}
	if press {
		a.setGame(func(g *gameState) { g.pressed(time.Now()) })
		if err := a.q.Send(ctx, inject.ProbeStrokes()...); err != nil {
			a.eventf("warn", "self-test key: %v", err)
		}
	}
}

// afterPong starts a pairing when the pong showed the addon does not hold this Desktop's
// key (a first run, SavedVariables lost, a key replaced elsewhere).
func (a *App) afterPong(nonce string) {
	a.mu.Lock()
	sig, seen := a.pongSigs[nonce]
	delete(a.pongSigs, nonce)
	if seen && sig == pongOurKey && a.bkey.Valid() {
		a.pairStat = Status{"ok", fmt.Sprintf("paired (key %s)", a.bkey.ID)}
	}
	a.mu.Unlock()
	if !seen || sig == pongOurKey {
		return
	}
	// pongs come in bursts (the self-test key pressed while a buffered log held the
	// first answers back): one pairing at a time
	a.mu.Lock()
	busy := !a.pairAsked.IsZero() && time.Since(a.pairAsked) < a.opts.PingTimeout || a.tent != nil
	for _, pr := range a.pairings {
		busy = busy || pr.pub == "" && time.Since(pr.started) < a.opts.PingTimeout
	}
	if !busy {
		a.pairAsked = time.Now()
	}
	a.mu.Unlock()
	if busy {
		return
	}
	why := "the addon holds no key"
	if sig == pongOtherKey {
		why = "the addon holds another key"
	}
	a.eventf("info", "bridge not paired (%s): pairing", why)
	go func() {
		a.mu.Lock()
		ctx := a.runCtx
		a.mu.Unlock()
		if ctx == nil {
			return
		}
		if err := a.Pair(ctx); err != nil {
			a.eventf("warn", "pairing: %v", err)
		}
	}()
}

// StartPair starts Pair and returns; the pairing status tells the outcome.
func (a *App) StartPair(ctx context.Context) error {
	go func() {
		if err := a.Pair(ctx); err != nil {
			a.eventf("warn", "pairing: %v", err)
		}
	}()
	return nil
}

// Pair agrees on a new key with the addon: it types MGM_Pair with a fresh X25519 public
// key and waits for the answer (up to PingTimeout). The window's Pair button calls it (to
// replace a key), and a pong from an addon without this Desktop's key starts it. The key
// in use changes only when the answer is read from the log.
func (a *App) Pair(ctx context.Context) error {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	p, err := tagsig.NewPairing("pair-" + hex.EncodeToString(b))
	if err != nil {
		return err
	}
	pr := &pairing{p: p, started: time.Now(), done: make(chan struct{})}
	a.mu.Lock()
	if a.pairings == nil {
		a.pairings = map[string]*pairing{}
	}
	for n, old := range a.pairings { // answers come within seconds; keep recent ones only
		if time.Since(old.started) > 10*time.Minute {
			delete(a.pairings, n)
		}
	}
	a.pairings[p.Nonce] = pr
	a.pairAsked = time.Time{} // the pairing a pong asked for is registered: pr stands for it now
	if !a.bkey.Valid() {
		a.pairStat = Status{"warn", "bridge not paired: pairing with the addon…"}
	}
	a.mu.Unlock()
	if _, err := a.submit(cmdPair, p.Nonce, inject.Pair(p.Nonce, p.Public())); err != nil {
		a.setStatus(&a.pairStat, "error", "bridge not paired: could not queue the pairing for the game: %v", err)
		return err
	}
	a.eventf("info", "bridge: MGM_Pair(%q, <public key>) queued for the game", p.Nonce)
	select {
	case <-pr.done:
		a.mu.Lock()
		id, err := a.bkey.ID, pr.err
		a.mu.Unlock()
		if err != nil {
			return err
		}
		a.eventf("info", "bridge: paired with the addon (key %s)", id)
		return nil
	case <-time.After(a.opts.PingTimeout):
	case <-ctx.Done():
		return ctx.Err()
	}
	a.mu.Lock()
	if !a.bkey.Valid() && pr.pub == "" {
		a.pairStat = Status{"error", fmt.Sprintf("bridge not paired: the addon did not answer the pairing in %s. "+
			"Is the addon up to date (it needs MGM_Pair)? Press Pair to try again.", a.opts.PingTimeout.Round(time.Second))}
	}
	a.mu.Unlock()
	return fmt.Errorf("no answer to pairing %s", p.Nonce)
}
