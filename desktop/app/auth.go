package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/tagsig"
)

// Only the streamer's own client may speak (docs/product.md §9). A tag line read from
// the log is acted on only when
//
//   - it stands where only the addon's output can stand (tags.Read: right after the
//     timestamp, or a whisper), and a whisper is between the streamer's own character and
//     itself — the character learned from the self-test;
//   - it is signed with the key of this Desktop's pairing with the addon (pkg/tagsig).
//
// Two tags need no key: the pong, which proves the log bridge works whatever the
// pairing, and the pairing answer, which carries the key's proof in itself. Everything
// else unsigned, signed with another key or badly is refused and logged once.

// pairing is one MGM_Pair typed into the game.
type pairing struct {
	p       *tagsig.Pairing
	started time.Time
	pub     string // the addon's answer, once one was taken
	done    chan struct{}
}

// pongSig is what a pong's signature said about the addon's key.
type pongSig int

const (
	pongUnsigned pongSig = iota // the addon holds no key
	pongOurKey                  // signed with this Desktop's key
	pongOtherKey                // signed with another key, or badly
)

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

// refusal is why a tag line is not acted on.
type refusal struct{ reason string }

func (r *refusal) Error() string { return r.reason }

func refuse(format string, args ...any) error {
	return &refusal{reason: fmt.Sprintf(format, args...)}
}

// admit decides whether a tag line read from the log may be acted on. It also takes the
// pairing answers (installing the key they agree on, in log order, so a tag is checked
// against the key the addon held when it printed it) and learns the streamer's character
// from the self-test's pong.
// note, when not empty, is an event for the caller to log.
func (a *App) admit(l tags.Line) (t tags.Tag, note string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t = l.Tag
	if l.Origin == tags.WhisperTo || l.Origin == tags.WhisperFrom {
		if a.self == "" || !domain.SameName(l.Peer, a.self) {
			if !a.learnsSelfLocked(l) {
				if a.self == "" {
					return t, "", refuse("a whisper %s %s, and your own character is not known yet (the self-test tells it)", direction(l), l.Peer)
				}
				return t, "", refuse("a whisper %s %s, not between your own character %s and itself", direction(l), l.Peer, a.self)
			}
			a.self = l.Peer
			a.saveBridgeLocked()
			note = fmt.Sprintf("bridge: your character is %s (from the self-test's whisper)", l.Peer)
		}
	}
	if t.Kind == tags.Pong && (a.pings[t.ID] != nil || l.Signed() && a.bkey.Valid() && l.KeyID == a.bkey.ID && a.bkey.Verify(l.Text, l.MAC)) {
		// The answer to our own self-test shows where the addon prints its tags.
		mode := "chatframe"
		if l.Origin != tags.FromAddon {
			mode = "whisper"
		}
		if a.emitMode != mode && a.emitMode != "" {
			note = fmt.Sprintf("bridge: the addon now prints its tags as %s", modeName(mode))
		}
		a.emitMode = mode
	}
	if l.Origin != tags.FromAddon && t.Kind != tags.Pong && a.emitMode == "chatframe" {
		return t, note, refuse("a whisper, but your addon prints its tags in the chat frame (the self-test said so)")
	}
	switch t.Kind {
	case tags.Pong:
		if a.pongSigs == nil {
			a.pongSigs = map[string]pongSig{}
		}
		switch {
		case !l.Signed():
			a.pongSigs[t.ID] = pongUnsigned
		case a.bkey.Valid() && l.KeyID == a.bkey.ID && a.bkey.Verify(l.Text, l.MAC):
			a.pongSigs[t.ID] = pongOurKey
		default:
			a.pongSigs[t.ID] = pongOtherKey
		}
		return t, note, nil
	case tags.Pair:
		return t, note, a.takePairLocked(l)
	}
	switch {
	case !l.Signed():
		return t, note, refuse("not signed: the addon is not paired with this Desktop yet (it keeps the report and sends it again, signed, once paired)")
	case !a.bkey.Valid():
		return t, note, refuse("signed with key %s, but this Desktop is not paired yet", l.KeyID)
	case l.KeyID != a.bkey.ID:
		return t, note, refuse("signed with key %s, not with this Desktop's key %s", l.KeyID, a.bkey.ID)
	case !a.bkey.Verify(l.Text, l.MAC):
		return t, note, refuse("bad signature: forged or altered")
	}
	return t, note, nil
}

func modeName(mode string) string {
	if mode == "whisper" {
		return "whispers to yourself"
	}
	return "chat frame lines"
}

func direction(l tags.Line) string {
	if l.Origin == tags.WhisperTo {
		return "to"
	}
	return "from"
}

// learnsSelfLocked: the whisper is the answer to a self-test in flight, and either one
// the streamer's client sent (only it writes "To …:" lines) or signed with our key.
func (a *App) learnsSelfLocked(l tags.Line) bool {
	if l.Tag.Kind != tags.Pong {
		return false
	}
	// a self-test in flight: a typed ping, or the self-test key pressed lately
	inFlight := a.pings[l.Tag.ID] != nil ||
		keyPong.MatchString(l.Tag.ID) && !a.game.probeAt.IsZero() && time.Since(a.game.probeAt) < a.opts.PingTimeout
	if !inFlight {
		return false
	}
	if l.Origin == tags.WhisperTo {
		return true
	}
	return l.Signed() && a.bkey.Valid() && l.KeyID == a.bkey.ID && a.bkey.Verify(l.Text, l.MAC)
}

// pairWindow is how long after typing MGM_Pair a different second answer counts as a
// conflict; later ones are refused without touching the key (the real answer comes
// within seconds).
const pairWindow = 2 * time.Minute

// takePairLocked takes the addon's answer to a pairing: the key derived from it must be
// the one the answer is signed with. A second, different, well-signed answer to the same
// pairing means something else writes [MGM_PAIR] lines into the log (it saw the nonce and
// the public key on stream): the Desktop cannot tell which answer is the addon's, so the
// pairing is dropped and the key with it, visibly.
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
		a.bkey = tagsig.Key{}
		a.saveBridgeLocked()
		a.pairStat = Status{"error", "pairing refused: two different answers came back for one pairing, so something " +
			"else writes into your chat log. The key is dropped; the next self-test pairs again (see the event log)."}
		return refuse("a second, different answer to pairing %s: the pairing and its key are dropped", t.ID)
	}
	pr.pub = t.PairPub
	a.bkey = k
	// pongs read before this answer (a burst, one batch) spoke of the addon's old key:
	// they start no new pairing
	for n := range a.pongSigs {
		delete(a.pongSigs, n)
	}
	a.saveBridgeLocked()
	a.pairStat = Status{"ok", fmt.Sprintf("paired (key %s)", k.ID)}
	close(pr.done)
	return nil
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
	busy := !a.pairAsked.IsZero() && time.Since(a.pairAsked) < a.opts.PingTimeout
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
		id := a.bkey.ID
		a.mu.Unlock()
		a.eventf("info", "bridge: paired with the addon (key %s)", id)
		return nil
	case <-time.After(a.opts.PingTimeout):
	case <-ctx.Done():
		return ctx.Err()
	}
	a.mu.Lock()
	if !a.bkey.Valid() {
		a.pairStat = Status{"error", fmt.Sprintf("bridge not paired: the addon did not answer the pairing in %s. "+
			"Is the addon up to date (it needs MGM_Pair)? Press Pair to try again.", a.opts.PingTimeout.Round(time.Second))}
	}
	a.mu.Unlock()
	return fmt.Errorf("no answer to pairing %s", p.Nonce)
}
