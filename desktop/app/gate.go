package app

// The gate in front of the typing: the game's state as the WoW light shows it, opened by a
// pong of the self-test key in a game session, closed by its [MGM_BYE] or a missed ack.

import (
	"maps"
	"regexp"
	"time"
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
}

// closeGate stops typing until the next pong.
func (a *App) closeGate(why string) {
	changed := false
	a.setGame(func(g *gameState) {
		if g.state == gameLive {
			changed = true
			g.state, g.probes, g.why, g.probeAt = gameProbing, 0, why, time.Time{}
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
		switch {
		case !e.pong:
			a.onBye(e.session)
		case ended[e.session]:
			a.eventf("info", "a pong of the ended addon session %s opens nothing", e.session)
		case e.late:
			a.eventf("info", "a pong of addon session %s printed more than %s before it was read opens nothing (the game may have left the world since)",
				e.session, a.opts.PingTimeout.Round(time.Second))
		default:
			a.onKeyPong(e.session)
		}
	}
}

// onKeyPong opens the gate for the session the pong names.
func (a *App) onKeyPong(session string) {
	opened := false
	a.setGame(func(g *gameState) {
		if g.state != gameLive || g.session != session {
			opened = true
			g.liveFrom = time.Now()
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
