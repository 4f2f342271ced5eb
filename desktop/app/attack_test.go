package app

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/tagsig"
)

// Attacks on the bridge by another player who can write into the streamer's chat log (a
// chat line, or a whole line of their choosing after a line break of their own) and who
// watches the stream (docs/product.md §9 "Only the streamer's own client may speak").

// pairOnScreenRe reads a pairing command as a box that took its keys shows it.
var pairOnScreenRe = regexp.MustCompile(`^([A-Za-z0-9]+) MGM_Pair\("([^"]+)","([0-9a-f]{64})"\)$`)

// typedPairing is the last MGM_Pair typed (whether it reached the addon or not): its
// command id, nonce and the Desktop's public key, as someone watching the stream saw them.
func (g *fakeGame) typedPairing() (id, nonce, pub string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.onScreen) - 1; i >= 0; i-- {
		if m := pairOnScreenRe.FindStringSubmatch(g.onScreen[i]); m != nil {
			return m[1], m[2], m[3], true
		}
	}
	return "", "", "", false
}

func (g *fakeGame) set(fn func(g *fakeGame)) {
	g.mu.Lock()
	fn(g)
	g.mu.Unlock()
}

// appendLines writes several log lines in one write, so the Desktop reads them in one
// batch.
func appendLines(path string, texts ...string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	now := time.Now()
	var b []byte
	for _, t := range texts {
		b = fmt.Appendf(b, "%d/%d %s  %s\n", int(now.Month()), now.Day(), now.Format("15:04:05.000"), t)
	}
	if _, err := f.Write(b); err != nil {
		panic(err)
	}
}

// A pong anyone can forge (unsigned, signed with a made-up key, or from a player named
// "To" whose emote reads like a whisper to oneself) must not make a paired Desktop pair
// again: each pairing rotates the key, makes the addon send the last day's tags again and
// holds every other command back, so a griefer repeating it would stall the bridge.
func TestAttack_AForgedPongDoesNotMakeAPairedDesktopPairAgain(t *testing.T) {
	r := newRig(t)
	r.start()
	eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
	key := r.game.key.ID
	other, err := tagsig.NewKey([]byte("the griefer's own key, 32 bytes!"))
	require.NoError(t, err)
	appendLog(r.log, "[MGM_PONG:beef-1]")
	appendLog(r.log, "To Mimiron: [MGM_PONG:beef-2]")
	appendLog(r.log, other.Sign("[MGM_PONG:beef-3]"))
	time.Sleep(2*r.app.opts.PingTimeout + 500*time.Millisecond)
	assert.Zero(t, r.game.count("/run MGM_Pair("), "no pairing typed")
	assert.Equal(t, "ok", r.app.State().Pairing.Level)
	assert.Contains(t, r.app.State().Pairing.Text, key)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "the key still works")
}

// The other side of the rule above: an addon that really lost its key (SavedVariables
// deleted) answers every press of the self-test key unsigned; the Desktop pairs again by
// itself, and what the addon sends then is taken.
func TestAttack_AnAddonThatReallyLostItsKeyIsPairedAgain(t *testing.T) {
	r := newRig(t)
	r.start()
	eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
	old := r.game.key.ID
	r.game.set(func(g *fakeGame) { g.key = tagsig.Key{} })
	require.NoError(t, r.app.StartPing(context.Background()))
	require.Eventually(t, func() bool { return r.game.count("/run MGM_Pair(") == 1 }, 10*time.Second, 10*time.Millisecond,
		"paired again")
	r.game.mu.Lock()
	fresh := r.game.key
	r.game.mu.Unlock()
	require.NotEqual(t, old, fresh.ID)
	require.Eventually(t, func() bool { return r.app.State().Pairing.Text == "paired (key "+fresh.ID+")" }, 10*time.Second,
		10*time.Millisecond)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "the new key works")
}

// In whisper mode a player named "To" can write "To <Name>: …" with an emote, and anyone
// can repeat a pong seen on stream. Neither may teach the Desktop another character: the
// streamer's own whispered tags would be refused from then on (and not sent again).
func TestAttack_APlayerNamedToCannotTeachTheDesktopAnotherCharacter(t *testing.T) {
	for _, forged := range []string{"unsigned", "a genuine pong repeated"} {
		t.Run(forged, func(t *testing.T) {
			r := newRig(t)
			p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
			r.game.echo = false
			r.start(func(o *Options) { o.PingTimeout = 3 * time.Second })
			done := make(chan error, 1)
			go func() { _, err := r.app.Ping(context.Background()); done <- err }()
			eventually(t, func() bool { return r.game.probeCount() >= 1 }, "self-test key pressed")
			pong := r.game.sign("[MGM_PONG:5e55-1]")
			appendLog(r.log, "To [Mimiron]: "+pong) // the addon in whisper mode
			require.NoError(t, <-done)
			if forged == "unsigned" {
				appendLog(r.log, "To Evil: [MGM_PONG:5e55-2]") // "To" emotes "Evil: [MGM_PONG:5e55-2]"
			} else {
				appendLog(r.log, "To Evil: "+pong)
			}
			time.Sleep(100 * time.Millisecond)
			appendLog(r.log, "To [Mimiron]: "+r.game.sign("[MGM_CONFIRM:"+p.ID+"]"))
			eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent },
				"the streamer's own whispered tag is still taken")
		})
	}
}

// The typing of MGM_Pair went astray — into a box the addon does not watch, which the
// stream shows — so a watcher knows the nonce and the Desktop's public key. With a line
// break of their own they answer the pairing first, acknowledge the command so it is not
// typed again, and sign a tag with the key they now share with the Desktop. The Desktop
// must not act on anything signed with a pairing's key before the addon itself has shown
// it holds that key.
func TestAttack_APairingAnswerForgedFromATypingSeenOnStreamIsNotTrusted(t *testing.T) {
	for _, first := range []bool{true, false} {
		name := "first pairing"
		if !first {
			name = "pairing again"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
			q := r.api.AddPayout("Thrall", domain.PayoutInProgress)
			r.game.deaf = true // commands land in a box the addon cannot see; the self-test key still works
			if first {
				r.game.key = tagsig.Key{}
				r.start(unpaired)
			} else {
				r.start()
				eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
				require.NoError(t, r.app.StartPair(context.Background()))
			}
			var id, nonce, pub string
			require.Eventually(t, func() bool {
				var ok bool
				id, nonce, pub, ok = r.game.typedPairing()
				return ok
			}, 10*time.Second, 10*time.Millisecond, "the pairing typed")
			k, a, err := tagsig.Answer(nonce, pub)
			require.NoError(t, err)
			appendLines(r.log,
				k.Sign(fmt.Sprintf(`[MGM_PAIR:%s]{"pub":"%s"}`, nonce, a)),
				k.Sign("[MGM_ACK:"+id+"]"),
				k.Sign("[MGM_CONFIRM:"+p.ID+"]"))
			time.Sleep(1500 * time.Millisecond)
			assert.Zero(t, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"), "the forged tag reached the API")
			got, _ := r.api.Payout(p.ID)
			assert.Equal(t, domain.PayoutInProgress, got.Status)

			// The addon still speaks: with its old key (pairing again), or once a pairing
			// reaches it (first pairing).
			r.game.set(func(g *fakeGame) { g.deaf = false })
			if first {
				require.Eventually(t, func() bool {
					r.game.mu.Lock()
					gk := r.game.key.ID
					r.game.mu.Unlock()
					return gk != "" && r.app.State().Pairing.Text == "paired (key "+gk+")"
				}, 15*time.Second, 10*time.Millisecond, "paired with the addon itself")
			}
			r.emit("[MGM_CONFIRM:" + q.ID + "]")
			require.Eventually(t, func() bool { got, _ := r.api.Payout(q.ID); return got.Status == domain.PayoutSent },
				15*time.Second, 10*time.Millisecond, "the addon's own tag is taken")
			assert.Zero(t, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"), "the forged tag reached the API")
		})
	}
}

// A pong printed before the session ended, read together with that session's [MGM_BYE]
// (a log written in chunks), opens nothing: no command is typed into a login screen.
func TestAttack_APongReadWithItsSessionsByeTypesNothing(t *testing.T) {
	r := newRig(t)
	r.start()
	eventually(t, func() bool { return r.app.State().Game == gameLive }, "live")
	r.game.set(func(g *fakeGame) { g.echo = false }) // logged out: nothing answers
	r.emit("[MGM_BYE:5e55]")
	eventually(t, func() bool { return r.app.State().Game == gameProbing }, "probing after the bye")
	typed := r.game.typedCount()
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	for i := 0; i < 20; i++ {
		// the next session's last pong and its bye, read in one batch
		s := fmt.Sprintf("%04x", 0xa000+i)
		appendLines(r.log, r.game.sign("[MGM_PONG:"+s+"-1]"), r.game.sign("[MGM_BYE:"+s+"]"))
		time.Sleep(30 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, typed, r.game.typedCount(), "typed into a closed session")
	assert.Equal(t, gameProbing, r.app.State().Game)
	for _, e := range r.app.State().Events {
		assert.NotContains(t, e.Text, "(addon session a0", "the gate opened for a moment: %s", e.Text)
	}
	cs, err := r.app.Journal().Commands(journal.CmdQueued)
	require.NoError(t, err)
	assert.Len(t, cs, 1, "the /who waits for the next session")
}

// A pong read long after it was printed (the client's log buffer flushed late, its
// session's bye perhaps still in the buffer while the game sits at the login screen)
// opens nothing; a fresh one does.
func TestAttack_APongPrintedLongBeforeItIsReadTypesNothing(t *testing.T) {
	r := newRig(t)
	r.game.echo = false
	r.start()
	r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
	eventually(t, func() bool { return len(r.app.State().Commands) == 1 }, "the /who queued")
	old := time.Now().Add(-time.Minute)
	f, err := os.OpenFile(r.log, os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, "%d/%d %s  %s\n", int(old.Month()), old.Day(), old.Format("15:04:05.000"), r.game.sign("[MGM_PONG:5e55-1]"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, gameProbing, r.app.State().Game)
	assert.Zero(t, r.game.typedCount(), "typed after a pong a minute old")
	r.emit("[MGM_PONG:5e55-2]")
	eventually(t, func() bool { return r.game.typedCount() == 1 }, "typed after a fresh pong")
}
