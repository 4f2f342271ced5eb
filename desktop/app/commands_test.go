package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
)

const whoLine = `/run MGM_RunWhoForSpin("cycle-1","Норинн")`

// The game at the login screen (or a loading screen, or a focused text box) answers
// nothing: only the self-test key is pressed, nothing is typed, until it answers.
func TestCommands_NothingTypedUntilTheGameAnswersTheSelfTestKey(t *testing.T) {
	r := newRig(t)
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	r.game.echo = false
	r.start()
	eventually(t, func() bool { return r.game.probeCount() >= 3 }, "the key is pressed again and again")
	assert.Zero(t, r.game.typedCount(), "nothing typed before a pong")
	assert.Equal(t, gameProbing, r.app.State().Game)
	assert.Contains(t, r.app.State().WoW.Text, "login screen")
	cs := r.app.State().Commands
	require.Len(t, cs, 1)
	assert.Equal(t, journal.CmdQueued, cs[0].State)

	r.game.mu.Lock()
	r.game.echo = true // the streamer enters the world
	r.game.mu.Unlock()
	eventually(t, func() bool { return r.game.count(whoLine) == 1 }, "typed once the game answers")
	eventually(t, func() bool { return len(r.app.State().Commands) == 0 }, "acknowledged")
	assert.Equal(t, gameLive, r.app.State().Game)
}

// The first typing is lost (the keys went nowhere): no acknowledgement, so the Desktop
// presses the self-test key again and types the command again with the same id; the
// addon runs it once.
func TestCommands_LostTypingIsTypedAgainWithTheSameID(t *testing.T) {
	r := newRig(t)
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	r.game.deaf = true
	r.start(func(o *Options) { o.AckTimeout = 300 * time.Millisecond })
	eventually(t, func() bool { return r.game.typedCount() >= 1 }, "typed once")
	probes := r.game.probeCount()
	eventually(t, func() bool { return r.app.State().Game == gameProbing || r.game.typedCount() >= 2 }, "the gate closed on the timeout")
	r.game.mu.Lock()
	r.game.deaf = false
	r.game.mu.Unlock()
	eventually(t, func() bool { return r.game.count(whoLine) == 1 }, "typed again and run")
	eventually(t, func() bool { return len(r.app.State().Commands) == 0 }, "acknowledged")
	assert.Greater(t, r.game.probeCount(), probes, "a new self-test before typing again")
	cs, err := r.app.Journal().Commands(journal.CmdAcked)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.GreaterOrEqual(t, cs[0].Attempts, 2)
}

// Never acknowledged: after MaxAttempts typings the command is shown as failed; Retry
// queues it again with the same id.
func TestCommands_NeverAcknowledgedIsShownAsFailed(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Норинн", domain.PayoutPending)
	r.game.deaf = true
	r.start(func(o *Options) { o.AckTimeout = 100 * time.Millisecond; o.MaxAttempts = 3 })
	eventually(t, func() bool {
		cs := r.app.State().Commands
		return len(cs) == 1 && cs[0].State == journal.CmdFailed
	}, "failed")
	c := r.app.State().Commands[0]
	assert.Equal(t, 3, c.Attempts)
	assert.Equal(t, cmdNotify, c.Kind)
	assert.Equal(t, p.ID, c.Subject)
	assert.Contains(t, c.Note, "never acknowledged")
	assert.Equal(t, 3, r.game.typedCount())
	r.game.mu.Lock()
	r.game.deaf = false
	r.game.mu.Unlock()
	require.NoError(t, r.app.RetryCommand(c.ID))
	eventually(t, func() bool { return len(r.app.State().Commands) == 0 }, "acknowledged after Retry")
	assert.Equal(t, 1, r.game.count(`/run NotifyWinnerWhisper("`+p.ID+`","Норинн")`))
}

// The addon's session ended ([MGM_BYE]): nothing is typed until a pong of the next one.
func TestCommands_TheEndOfTheSessionClosesTheGate(t *testing.T) {
	r := newRig(t)
	r.start()
	eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
	r.game.mu.Lock()
	r.game.echo = false
	r.game.mu.Unlock()
	r.emit("[MGM_BYE:5e55]")
	eventually(t, func() bool { return r.app.State().Game == gameProbing }, "probing after the bye")
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	time.Sleep(200 * time.Millisecond)
	assert.Zero(t, r.game.typedCount())
}

// A command typed but not acknowledged when the Desktop stops is typed again after the
// restart, with the same id.
func TestCommands_SurviveADesktopRestart(t *testing.T) {
	r := newRig(t)
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	r.game.deaf = true
	r.start(func(o *Options) { o.AckTimeout = time.Hour })
	var cs []journal.Command
	eventually(t, func() bool {
		cs, _ = r.app.Journal().Commands(journal.CmdTyped)
		return len(cs) == 1
	}, "typed")
	id := cs[0].ID
	r.stop()
	r.game.mu.Lock()
	r.game.deaf = false
	r.game.mu.Unlock()
	r.start(func(o *Options) { o.AckTimeout = 200 * time.Millisecond })
	eventually(t, func() bool { return r.game.count(whoLine) == 1 }, "typed again after the restart")
	eventually(t, func() bool {
		c, ok, err := r.app.Journal().Command(id)
		return err == nil && ok && c.State == journal.CmdAcked
	}, "the same id acknowledged")

}
