package app

// The gate in front of the typing: the game's state as the WoW light shows it, opened by a
// pong of the self-test key in a game session (printed after a press made while the gate
// was closed), closed by its [MGM_BYE], a missed ack, or no line printed in the log for
// LiveFor when a command waits.

import (
	"fmt"
	"maps"
	"regexp"
	"time"

	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/tags"
)

// Game states, as the window's WoW light shows them.
const (
	gameMissing = "missing" // no WoW process/window
	gameProbing = "probing" // found; waiting for a pong to the self-test key
	gameLive    = "live"    // a pong came back in this game session: commands are typed
)

// gameState is what the Desktop knows of the game.
type gameState struct {
	state    string
	session  string    // the addon's session of the last pong
	probeAt  time.Time // the last press of the probe key
	probes   int       // presses since the gate closed
	pongAt   time.Time // the last pong
	why      string    // why the gate closed last
	liveFrom time.Time
	ended    map[string]bool // sessions that said [MGM_BYE]
	// since is the first press of the self-test key since the gate closed (zero: none
	// yet); only a pong printed after it opens the gate.
	since time.Time
	// aliveAt is when the last line of the chat log was printed (a pong, an
	// acknowledgement, anyone's chat): the game was in the world then (aliveFrom).
	aliveAt time.Time
}

// pressed records a press of the self-test key (a.mu held).
func (g *gameState) pressed(at time.Time) {
	g.probeAt = at
	if g.state != gameLive && g.since.IsZero() {
		g.since = at
	}
}

// answersPress: the pong may open the gate — it was printed after a press of the key
// made while the gate was closed (a.mu held). The log's timestamp is compared to the
// second: the Desktop and the game read the same clock, and whether the real client
// writes milliseconds that mean anything is not known (docs/product.md §9).
func (g *gameState) answersPress(e sessionEvent) bool {
	if g.state == gameLive {
		return true
	}
	return e.stamped && !g.since.IsZero() && !e.at.Before(g.since.Truncate(time.Second))
}

// staleGate closes the gate when a command waits to be typed and the log's last line
// was printed more than LiveFor ago: the game may have left the world
// since without the Desktop reading it (its [MGM_BYE] held in the client's log buffer).
// The typing loop then presses the self-test key first.
func (a *App) staleGate(now time.Time, g gameState) bool {
	if now.Sub(g.aliveAt) <= a.opts.LiveFor {
		return false
	}
	queued, err := a.j.Commands(journal.CmdQueued)
	if err != nil || len(queued) == 0 {
		return false
	}
	changed := false
	a.setGame(func(g *gameState) {
		if g.state == gameLive {
			changed = true
			g.state, g.probes, g.probeAt, g.since = gameProbing, 0, time.Time{}, time.Time{}
			g.why = fmt.Sprintf("nothing printed in the chat log for %s", now.Sub(g.aliveAt).Round(time.Second))
		}
	})
	if changed {
		a.eventf("info", "nothing printed in the chat log for %s (the game may have left the world): pressing the self-test key before typing %s",
			a.opts.LiveFor.Round(time.Second), describeCmd(queued[0]))
	}
	return changed
}

// aliveFrom takes any line of the chat log as news that the game was in the world when it
// was printed: the client writes only its chat frame's lines, which exist only in the
// world (and during its loading screens, which swallow keys), never at the login screen
// or at character select. So other players' chat keeps the gate open while a text box of
// the streamer's has the focus and eats the self-test key (the addon still takes
// commands out of a focused box: addon Command.lua). A time later than now — a line
// break of another player's with a timestamp of their choosing — counts as now.
func (a *App) aliveFrom(line string) {
	now := time.Now()
	at, ok := tags.Stamp(line, now, time.Local)
	if !ok {
		return
	}
	if at.After(now) {
		at = now
	}
	a.setGame(func(g *gameState) {
		if at.After(g.aliveAt) {
			g.aliveAt = at
		}
	})
}

// closeGate stops typing until the next pong.
func (a *App) closeGate(why string) {
	changed := false
	a.setGame(func(g *gameState) {
		if g.state == gameLive {
			changed = true
			g.state, g.probes, g.why, g.probeAt, g.since = gameProbing, 0, why, time.Time{}, time.Time{}
		}
	})
	if changed {
		a.eventf("warn", "typing paused: %s; pressing the self-test key before typing again", why)
	}
}

func (a *App) isLive() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.game.state == gameLive
}

func (a *App) setGame(fn func(*gameState)) {
	a.mu.Lock()
	fn(&a.game)
	a.mu.Unlock()
}

// keyPong is the answer to the probe key: <session>-<n>.
var keyPong = regexp.MustCompile(`^([0-9a-f]{4,16})-([0-9]+)$`)

// sessionEvent is a pong of the self-test key or a [MGM_BYE], in log order.
type sessionEvent struct {
	pong    bool
	session string
	// late: the pong was printed longer than PingTimeout before it was read (the log
	// written late): the game may have left the world since.
	late bool
	// at is when the pong was printed (the log's timestamp), when stamped.
	at      time.Time
	stamped bool
}

// onSessions applies a batch's pongs and byes together: a pong read with its session's
// bye (the log written in chunks: the pong printed before a logout, the bye at it) opens
// nothing, no pong of a session that said bye opens the gate again, and neither does a
// pong printed long before it was read — its session's bye may still wait in the
// client's log buffer while the game sits at the login screen, which takes keys too.
func (a *App) onSessions(evs []sessionEvent) {
	a.mu.Lock()
	if a.game.ended == nil {
		a.game.ended = map[string]bool{}
	}
	for _, e := range evs {
		if !e.pong {
			if len(a.game.ended) >= 256 {
				clear(a.game.ended)
			}
			a.game.ended[e.session] = true
		}
	}
	ended := maps.Clone(a.game.ended)
	a.mu.Unlock()
	for _, e := range evs {
		a.mu.Lock()
		answers := a.game.answersPress(e)
		a.mu.Unlock()
		switch {
		case !e.pong:
			a.onBye(e.session)
		case ended[e.session]:
			a.eventf("info", "a pong of the ended addon session %s opens nothing", e.session)
		case e.late:
			a.eventf("info", "a pong of addon session %s printed more than %s before it was read opens nothing (the game may have left the world since)",
				e.session, a.opts.PingTimeout.Round(time.Second))
		case !answers:
			a.eventf("info", "a pong of addon session %s printed before the self-test key was pressed opens nothing (the game may have left the world since)",
				e.session)
		default:
			a.onKeyPong(e.session, e.at)
		}
	}
}

// onKeyPong opens the gate for the session the pong names.
func (a *App) onKeyPong(session string, at time.Time) {
	opened := false
	a.setGame(func(g *gameState) {
		if g.state != gameLive || g.session != session {
			opened = true
			g.liveFrom, g.aliveAt = time.Now(), at
		}
		if at.After(g.aliveAt) {
			g.aliveAt = at
		}
		g.state, g.session, g.pongAt, g.why = gameLive, session, time.Now(), ""
	})
	a.mu.Lock()
	a.bridge = Status{"ok", "log bridge OK: the game answered the self-test key (session " + session + ")"}
	a.mu.Unlock()
	if opened {
		a.eventf("info", "the game answered the self-test key: in the world (addon session %s); typing commands", session)
	}
	a.onProbePong()
	wake(a.wakeCmd)
}

// onBye closes the gate when the session it was opened for ended.
func (a *App) onBye(session string) {
	a.mu.Lock()
	same := a.game.session == session
	a.mu.Unlock()
	if same {
		a.closeGate("the game's UI unloaded (logout or /reload)")
		a.setGame(func(g *gameState) { g.session = "" })
	}
}
