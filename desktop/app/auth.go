package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain"
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

// sigKind is whose key signed a tag line.
type sigKind int

const (
	sigNone  sigKind = iota // unsigned
	sigOurs                 // this Desktop's key
	sigTent                 // the key of a pairing answer not confirmed yet
	sigOther                // another key, or a bad signature
)

// pongSig is what a pong's signature said about the addon's key.
type pongSig int

const (
	pongUnsigned pongSig = iota // the addon holds no key
	pongOurKey                  // signed with this Desktop's key
	pongOtherKey                // signed with another key, or badly
)

// errHeld: the line is signed with a pairing's key that is not confirmed yet; the
// caller keeps it with the tentative key (released when confirmed, dropped if refuted).
var errHeld = errors.New("held until the pairing is confirmed")

// errRepeat: a pong read before (a whisper to oneself is logged as sent and as
// received; another player may repeat one seen on stream). It changes nothing and is
// not logged.
var errRepeat = errors.New("a pong read before")

// refusal is why a tag line is not acted on.
type refusal struct{ reason string }

func (r *refusal) Error() string { return r.reason }

func refuse(format string, args ...any) error {
	return &refusal{reason: fmt.Sprintf(format, args...)}
}

// admit decides whether a tag line read from the log may be acted on. It also takes the
// pairing answers (a tentative key, in log order, so a tag is checked against the key the
// addon held when it printed it) and learns the streamer's character and the addon's
// emit mode from the self-test's pongs (admitPongLocked).
// note, when not empty, is an event for the caller to log.
func (a *App) admit(l tags.Line) (t tags.Tag, note string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t = l.Tag
	if t.Kind == tags.Pong {
		return a.admitPongLocked(l)
	}
	if isWhisper(l) {
		if a.self == "" {
			return t, "", refuse("a whisper %s %s, and your own character is not known yet (the self-test tells it)", direction(l), l.Peer)
		}
		if !domain.SameName(l.Peer, a.self) {
			return t, "", refuse("a whisper %s %s, not between your own character %s and itself", direction(l), l.Peer, a.self)
		}
		if a.emitMode == "chatframe" {
			return t, "", refuse("a whisper, but your addon prints its tags in the chat frame (the self-test said so)")
		}
	}
	if t.Kind == tags.Pair {
		return t, "", a.takePairLocked(l)
	}
	if a.sigOfLocked(l) == sigTent {
		return t, "", errHeld
	}
	switch {
	case !l.Signed():
		return t, "", refuse("not signed: the addon is not paired with this Desktop yet (it keeps the report and sends it again, signed, once paired)")
	case !a.bkey.Valid():
		return t, "", refuse("signed with key %s, but this Desktop is not paired yet", l.KeyID)
	case l.KeyID != a.bkey.ID:
		return t, "", refuse("signed with key %s, not with this Desktop's key %s", l.KeyID, a.bkey.ID)
	case !a.bkey.Verify(l.Text, l.MAC):
		return t, "", refuse("bad signature: forged or altered")
	}
	return t, "", nil
}

func isWhisper(l tags.Line) bool { return l.Origin == tags.WhisperTo || l.Origin == tags.WhisperFrom }

// sigOfLocked says whose key signed the line.
func (a *App) sigOfLocked(l tags.Line) sigKind {
	switch {
	case !l.Signed():
		return sigNone
	case a.bkey.Valid() && l.KeyID == a.bkey.ID && a.bkey.Verify(l.Text, l.MAC):
		return sigOurs
	case a.tent != nil && l.KeyID == a.tent.key.ID && a.tent.key.Verify(l.Text, l.MAC):
		return sigTent
	}
	return sigOther
}

// addonForm: a line only the streamer's own client writes — the addon's output at the
// start of a line, or a whisper received from the streamer's own character — as opposed
// to "To <Name>: …", which a player named "To" can write with an emote.
func (a *App) addonFormLocked(l tags.Line) bool {
	return l.Origin == tags.FromAddon || l.Origin == tags.WhisperFrom && a.self != "" && domain.SameName(l.Peer, a.self)
}

// admitPongLocked takes a pong. Anyone who can write into the log can write a pong, so
// a pong is evidence only in the ways that survive that:
//
//   - it confirms or refutes a tentative key (see tentative);
//   - it is taken once: a repeat (the same nonce again) changes nothing;
//   - while this Desktop holds a key, only a pong signed with it opens the typing gate,
//     tells the streamer's character or where the addon prints. Any other pong starts a
//     check (suspectLocked): the self-test key is pressed, and only when the addon does
//     not answer with this Desktop's key within PingTimeout is the key given up and a new
//     pairing made. A forged pong thus never makes the Desktop pair again while the addon
//     answers: a pairing rotates the key, makes the addon send its last day's tags again
//     and holds every other command back;
//   - without a key (first run, or the check above), the first pong is taken on trust:
//     there is nothing to protect yet, and the pairing it starts is itself checked.
func (a *App) admitPongLocked(l tags.Line) (tags.Tag, string, error) {
	t := l.Tag
	sig := a.sigOfLocked(l)
	note := ""
	if tn := a.tent; tn != nil {
		switch {
		case sig == sigTent:
			if !tn.press.IsZero() && tn.okAt.IsZero() {
				tn.okAt = time.Now()
			}
		case a.addonFormLocked(l):
			note = a.refuteLocked(fmt.Sprintf("the addon answered the self-test without the key just agreed on (%s)", sigName(sig, l)))
			sig = a.sigOfLocked(l)
		}
	}
	if a.pongSeenLocked(t) {
		return t, note, errRepeat
	}
	if isWhisper(l) && (a.self == "" || !domain.SameName(l.Peer, a.self)) {
		if !a.learnsSelfLocked(l, sig) {
			if a.self == "" {
				return t, note, refuse("a whisper %s %s, and your own character is not known yet (the self-test tells it)", direction(l), l.Peer)
			}
			return t, note, refuse("a whisper %s %s, not between your own character %s and itself", direction(l), l.Peer, a.self)
		}
		a.self = l.Peer
		a.saveBridgeLocked()
		note = joinNotes(note, fmt.Sprintf("bridge: your character is %s (from the self-test's whisper)", l.Peer))
	}
	if a.bkey.Valid() && sig != sigOurs && sig != sigTent {
		a.suspectLocked()
		return t, note, refuse("a self-test answer not signed with this Desktop's key %s (%s): checking that the addon still holds it",
			a.bkey.ID, sigName(sig, l))
	}
	if sig == sigOurs {
		a.suspect = time.Time{}
	}
	if a.pings[t.ID] != nil || sig == sigOurs {
		// The answer to our own self-test shows where the addon prints its tags.
		mode := "chatframe"
		if l.Origin != tags.FromAddon {
			mode = "whisper"
		}
		if a.emitMode != mode && a.emitMode != "" {
			note = joinNotes(note, fmt.Sprintf("bridge: the addon now prints its tags as %s", modeName(mode)))
		}
		a.emitMode = mode
	}
	if a.pongSigs == nil {
		a.pongSigs = map[string]pongSig{}
	}
	a.markPongLocked(t)
	switch sig {
	case sigNone:
		a.pongSigs[t.ID] = pongUnsigned
	case sigOurs, sigTent:
		a.pongSigs[t.ID] = pongOurKey
	default:
		a.pongSigs[t.ID] = pongOtherKey
	}
	return t, note, nil
}

func sigName(sig sigKind, l tags.Line) string {
	switch sig {
	case sigNone:
		return "unsigned"
	case sigOurs:
		return "signed with the key it had"
	}
	return "signed with key " + l.KeyID
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// pongSeenLocked reports whether the pong was taken before (this run, or journaled).
func (a *App) pongSeenLocked(t tags.Tag) bool {
	if _, ok := a.pongSeen[t.ID]; ok {
		return true
	}
	if a.j != nil {
		if _, ok, _ := a.j.Get(t.Key()); ok {
			return true
		}
	}
	return false
}

// markPongLocked remembers a pong taken.
func (a *App) markPongLocked(t tags.Tag) {
	if a.pongSeen == nil {
		a.pongSeen = map[string]time.Time{}
	}
	if len(a.pongSeen) >= 1024 {
		for id, at := range a.pongSeen {
			if time.Since(at) > time.Hour {
				delete(a.pongSeen, id)
			}
		}
	}
	a.pongSeen[t.ID] = time.Now()
}

// suspectLocked starts the check of a paired Desktop that read a pong not signed with its
// key: bridgeChecks presses the self-test key; a pong signed with the key ends the check,
// PingTimeout without one gives the key up.
func (a *App) suspectLocked() {
	if a.suspect.IsZero() {
		a.suspect, a.suspectPress = time.Now(), time.Time{}
	}
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

// learnsSelfLocked: the whisper is the answer to a self-test in flight, read for the
// first time, and either signed with this Desktop's key or — while the Desktop holds no
// key, on trust — one the streamer's client sent ("To …:" lines). While it holds a key an
// unsigned "To …:" line teaches nothing: a player named "To" writes such lines with an
// emote, and a wrong character would have every whispered tag of the addon refused.
func (a *App) learnsSelfLocked(l tags.Line, sig sigKind) bool {
	if l.Tag.Kind != tags.Pong {
		return false
	}
	// a self-test in flight: a typed ping, or the self-test key pressed lately
	inFlight := a.pings[l.Tag.ID] != nil ||
		keyPong.MatchString(l.Tag.ID) && !a.game.probeAt.IsZero() && time.Since(a.game.probeAt) < a.opts.PingTimeout
	if !inFlight {
		return false
	}
	if a.bkey.Valid() {
		return sig == sigOurs
	}
	return l.Origin == tags.WhisperTo || sig == sigTent
}
