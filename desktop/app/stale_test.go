package app

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
)

// Stale pongs (issue 10's known risk): the typing gate must not stay open, or open, on
// the word of a pong that no longer says the game is in the world.

// The game left the world without the Desktop reading it: the streamer logged out and
// the addon's [MGM_BYE] still waits in the client's log buffer (the client's flushing is
// unknown: pkg/wowclient chatlog.go), so the gate the session's last pong opened is
// still open. A command to type once that pong is older than LiveFor waits for a new
// pong: it is not typed into the login screen's account field.
func TestStale_AnOldPongIsCheckedAgainBeforeTyping(t *testing.T) {
	r := newRig(t)
	r.start(func(o *Options) { o.LiveFor = 300 * time.Millisecond })
	eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
	r.game.set(func(g *fakeGame) { g.echo = false }) // at the login screen; the bye not in the log yet
	time.Sleep(500 * time.Millisecond)
	probes := r.game.probeCount()
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	eventually(t, func() bool { return r.game.probeCount() > probes }, "the self-test key pressed before typing")
	time.Sleep(1500 * time.Millisecond) // longer than AckTimeout
	assert.Zero(t, r.game.typedCount(), "a command typed into the login screen")
	assert.Equal(t, gameProbing, r.app.State().Game)

	r.game.set(func(g *fakeGame) { g.echo, g.session = true, "5e56" }) // back in the world
	eventually(t, func() bool { return r.game.count(whoLine) == 1 }, "typed after the new pong")
	eventually(t, func() bool { return len(r.app.State().Commands) == 0 }, "acknowledged")
	assert.Equal(t, 1, r.game.typedCount())
}

// A burst of commands keeps the gate open on the acknowledgements: a command
// acknowledged within LiveFor vouches for the game as a pong does.
func TestStale_AcknowledgementsKeepTheGateOpen(t *testing.T) {
	r := newRig(t)
	r.start(func(o *Options) { o.LiveFor = 400 * time.Millisecond })
	eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
	probes := r.game.probeCount()
	for i := 0; i < 4; i++ {
		r.api.SetCandidate(&events.Candidate{SpinCycleID: fmt.Sprintf("cycle-%d", i), CharacterName: "Норинн"})
		eventually(t, func() bool { return r.game.count(fmt.Sprintf(`/run MGM_RunWhoForSpin("cycle-%d"`, i)) == 1 }, "typed")
		time.Sleep(150 * time.Millisecond)
	}
	assert.Equal(t, probes, r.game.probeCount(), "pressed the self-test key while acknowledgements came")
}

// A pong printed before the Desktop pressed the self-test key, and read only now (the
// log is written in chunks; the Desktop was restarted, or its gate closed meanwhile),
// says nothing about the game now — it may be at the login screen since. It opens
// nothing, even when younger than PingTimeout; a pong printed after a press does.
func TestStale_APongPrintedBeforeThePressOpensNothing(t *testing.T) {
	r := newRig(t)
	r.game.echo = false
	printed := time.Now().Add(-1300 * time.Millisecond) // PingTimeout is 2 s: not "late"
	r.start()
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	eventually(t, func() bool { return len(r.app.State().Commands) == 1 && r.game.probeCount() >= 1 }, "queued and probing")
	f, err := os.OpenFile(r.log, os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, "%d/%d %s  %s\n", int(printed.Month()), printed.Day(), printed.Format("15:04:05.000"),
		r.game.sign("[MGM_PONG:5e55-1]"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	time.Sleep(400 * time.Millisecond)
	assert.Zero(t, r.game.typedCount(), "typed after a pong printed before any press")
	assert.Equal(t, gameProbing, r.app.State().Game)

	r.emit("[MGM_PONG:5e55-2]")
	eventually(t, func() bool { return r.game.typedCount() == 1 }, "typed after a pong printed after the press")
}

// A text box of the streamer's has the focus (the mail form's recipient, the chat box):
// it eats the self-test key, and the addon still takes commands out of it. In a busy
// world other players' chat — printed only in the world — keeps the gate open, so
// commands go on being typed; in a quiet one, once LiveFor has passed, the next command
// waits until the game answers the key again, and the WoW light says why.
func TestStale_ChatInTheWorldKeepsTheGateOpenWhileATextBoxHasTheFocus(t *testing.T) {
	r := newRig(t)
	r.start(func(o *Options) { o.LiveFor = 400 * time.Millisecond })
	eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
	r.game.set(func(g *fakeGame) { g.focused = true })
	probes := r.game.probeCount()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				appendLog(r.log, fmt.Sprintf("[2. Trade] [Merchant%d]: WTS Frostweave Cloth", i%7))
			}
		}
	}()
	for i := 0; i < 3; i++ {
		time.Sleep(600 * time.Millisecond) // longer than LiveFor
		r.api.SetCandidate(&events.Candidate{SpinCycleID: fmt.Sprintf("cycle-%d", i), CharacterName: "Норинн"})
		eventually(t, func() bool { return r.game.count(fmt.Sprintf(`/run MGM_RunWhoForSpin("cycle-%d"`, i)) == 1 }, "typed")
	}
	assert.Equal(t, probes, r.game.probeCount(), "the self-test key pressed while the world spoke")
	close(stop)
	<-done

	time.Sleep(600 * time.Millisecond) // a quiet world
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-quiet", CharacterName: "Норинн"})
	eventually(t, func() bool { return r.game.probeCount() > probes }, "the self-test key pressed")
	time.Sleep(300 * time.Millisecond)
	assert.Zero(t, r.game.count(`/run MGM_RunWhoForSpin("cycle-quiet"`))
	assert.Equal(t, gameProbing, r.app.State().Game)
	assert.Contains(t, r.app.State().WoW.Text, "close your chat box")
	r.game.set(func(g *fakeGame) { g.focused = false })
	eventually(t, func() bool { return r.game.count(`/run MGM_RunWhoForSpin("cycle-quiet"`) == 1 }, "typed once the box lost the focus")
}
