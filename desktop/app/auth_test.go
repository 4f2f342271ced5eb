package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/tagsig"
)

func unpaired(o *Options) { o.BridgeKey, o.BridgeSelf = nil, "" }

// refusals are the event log's refusal lines, oldest first.
func refusals(a *App) []string {
	var out []string
	evs := a.State().Events
	for i := len(evs) - 1; i >= 0; i-- {
		if strings.HasPrefix(evs[i].Text, "refused a tag line") {
			out = append(out, evs[i].Text)
		}
	}
	return out
}

func TestAuth_FirstRunPairsAfterTheSelfTestAndThenTakesSignedTags(t *testing.T) {
	r := newRig(t)
	r.game.key = tagsig.Key{}
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start(unpaired)
	assert.Contains(t, r.app.State().Pairing.Text, "bridge not paired")
	r.emit("[MGM_CONFIRM:" + p.ID + "]") // unsigned: the addon holds no key yet
	eventually(t, func() bool { return len(refusals(r.app)) == 1 }, "unsigned tag refused")
	assert.Contains(t, refusals(r.app)[0], "not signed")

	_, err := r.app.Ping(context.Background())
	require.NoError(t, err)
	eventually(t, func() bool { return r.app.State().Pairing.Level == "ok" }, "paired")
	r.game.mu.Lock()
	id := r.game.key.ID
	r.game.mu.Unlock()
	assert.Equal(t, "paired (key "+id+")", r.app.State().Pairing.Text)
	assert.Equal(t, 1, r.game.count("/run MGM_Pair("))

	r.emit("[MGM_CONFIRM:" + p.ID + "]") // the addon sends the kept report again, signed
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
	// A pong signed with the key starts no new pairing.
	_, err = r.app.Ping(context.Background())
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, 1, r.game.count("/run MGM_Pair("))
}

func TestAuth_EveryForgedOrForeignTagIsRefusedAndLoggedOnce(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start()
	other, err := tagsig.NewKey([]byte("another key, 32 bytes long......"))
	require.NoError(t, err)
	confirm := "[MGM_CONFIRM:" + p.ID + "]"
	seen := r.game.sign("[MGM_CONFIRM:00000000-0000-0000-0000-00000000beef]") // a genuine line seen on stream
	signed := r.game.sign(confirm)
	lines := []string{
		confirm,                               // unsigned
		other.Sign(confirm),                   // another key
		confirm + seen[len(seen)-tagsig.Len:], // a genuine signature moved onto another payload
		signed[:len(signed)-1-tagsig.MACLen] + strings.Repeat("0", tagsig.MACLen) + "]", // a made-up MAC
		"Evil whispers: " + r.game.sign(confirm),                                        // a whisper from someone else, even signed
		"To Evil: " + r.game.sign(confirm),                                              // a whisper to someone else
		"[Evil] says: " + r.game.sign(confirm),                                          // /say
		"[2. Trade] [Evil]: " + r.game.sign(confirm),                                    // a channel
	}
	for _, l := range lines {
		appendLog(r.log, l)
	}
	eventually(t, func() bool { return len(refusals(r.app)) == len(lines) }, "each line refused")
	time.Sleep(100 * time.Millisecond)
	assert.Len(t, refusals(r.app), len(lines), "each once")
	assert.Equal(t, len(lines), r.app.State().Refused)
	assert.Zero(t, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"), "nothing reached the API")
	got, _ := r.api.Payout(p.ID)
	assert.Equal(t, domain.PayoutInProgress, got.Status)
}

func TestAuth_WhisperToOneselfCountsOnceTheSelfTestNamedTheCharacter(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.game.echo = false
	r.start(func(o *Options) { o.BridgeSelf = ""; o.PingTimeout = 3 * time.Second })
	confirm := "[MGM_CONFIRM:" + p.ID + "]"
	appendLog(r.log, "[Mimiron] whispers: "+r.game.sign(confirm)) // not known yet to be ours
	eventually(t, func() bool { return len(refusals(r.app)) == 1 }, "refused before the self-test")

	done := make(chan error, 1)
	go func() { _, err := r.app.Ping(context.Background()); done <- err }()
	eventually(t, func() bool { return r.game.probeCount() >= 1 }, "self-test key pressed")
	nonce := "5e55-1"
	appendLog(r.log, "[Evil] whispers: "+"[MGM_PONG:"+nonce+"]") // someone echoing a pong seen on stream
	appendLog(r.log, "To [Mimiron]: "+r.game.sign("[MGM_PONG:"+nonce+"]"))
	require.NoError(t, <-done)
	assert.Len(t, refusals(r.app), 2, "the whisper from Evil is refused")

	appendLog(r.log, "[Mimiron] whispers: "+r.game.sign(confirm))
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
}

func TestAuth_TwoDifferentAnswersToOnePairingDropTheKey(t *testing.T) {
	r := newRig(t)
	r.game.noPair = true
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start()
	done := make(chan error, 1)
	go func() { done <- r.app.Pair(context.Background()) }()
	eventually(t, func() bool { return r.game.count("/run MGM_Pair(") == 1 }, "pair typed")
	m := pairTypedRe.FindStringSubmatch(r.game.typed()[len(r.game.typed())-1])
	k1, pub1, err := tagsig.Answer(m[1], m[2])
	require.NoError(t, err)
	k2, pub2, err := tagsig.Answer(m[1], m[2])
	require.NoError(t, err)
	r.game.set(func(g *fakeGame) { g.key = k1 }) // the addon took k1: it answers the self-test with it
	appendLog(r.log, k1.Sign(`[MGM_PAIR:`+m[1]+`]{"pub":"`+pub1+`"}`))
	require.NoError(t, <-done)
	appendLog(r.log, k2.Sign(`[MGM_PAIR:`+m[1]+`]{"pub":"`+pub2+`"}`))
	eventually(t, func() bool { return r.app.State().Pairing.Level == "error" }, "pairing refused")
	assert.Contains(t, r.app.State().Pairing.Text, "two different answers")
	appendLog(r.log, k1.Sign("[MGM_CONFIRM:"+p.ID+"]"))
	appendLog(r.log, k2.Sign("[MGM_CONFIRM:"+p.ID+"]"))
	eventually(t, func() bool { return len(refusals(r.app)) == 3 }, "both keys refused")
	assert.Zero(t, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"))
}

func TestAuth_PairAgainRetiresTheOldKey(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start()
	old := r.game.key
	require.NoError(t, r.app.Pair(context.Background()))
	r.game.mu.Lock()
	fresh := r.game.key
	r.game.mu.Unlock()
	require.NotEqual(t, old.ID, fresh.ID)
	assert.Equal(t, "paired (key "+fresh.ID+")", r.app.State().Pairing.Text)
	appendLog(r.log, old.Sign("[MGM_CONFIRM:"+p.ID+"]"))
	eventually(t, func() bool { return len(refusals(r.app)) == 1 }, "old key refused")
	appendLog(r.log, fresh.Sign("[MGM_CONFIRM:"+p.ID+"]"))
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
}

func TestAuth_AnAddonThatCannotPairIsShownNotPaired(t *testing.T) {
	r := newRig(t)
	r.game.key, r.game.noPair = tagsig.Key{}, true
	r.start(unpaired, func(o *Options) { o.PingTimeout = 300 * time.Millisecond })
	_, err := r.app.Ping(context.Background())
	require.NoError(t, err)
	eventually(t, func() bool { return r.app.State().Pairing.Level == "error" }, "pairing failed")
	assert.Contains(t, r.app.State().Pairing.Text, "bridge not paired: the addon did not answer the pairing")
}

func TestAuth_ThePairingSurvivesARestart(t *testing.T) {
	r := newRig(t)
	r.game.key = tagsig.Key{}
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	store := &settings.Store{Dir: r.dir + "/config"}
	withStore := func(o *Options) {
		o.Store = store
		require.NoError(t, store.Save(o.Settings))
		require.NoError(t, store.SaveKey(o.APIKey))
	}
	r.start(withStore)
	_, err := r.app.Ping(context.Background())
	require.NoError(t, err)
	eventually(t, func() bool { return r.app.State().Pairing.Level == "ok" }, "paired")
	r.stop()
	b, err := store.LoadBridge()
	require.NoError(t, err)
	assert.Len(t, b.Key, 32)
	r.start(withStore)
	assert.Equal(t, "ok", r.app.State().Pairing.Level)
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
	assert.Equal(t, 1, r.game.count("/run MGM_Pair("))
}

// Once the self-test showed the addon prints its tags in the chat frame, no whisper
// carries a tag for it — not even one that looks like the streamer's own — until a
// self-test answered by whisper says the mode changed.
func TestAuth_WhispersCountOnlyWhenTheAddonWhispersItsTags(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	r.start()
	_, err := r.app.Ping(context.Background()) // answered at the start of a line
	require.NoError(t, err)
	appendLog(r.log, "To [Mimiron]: "+r.game.sign("[MGM_CONFIRM:"+p.ID+"]"))
	eventually(t, func() bool { return len(refusals(r.app)) == 1 }, "refused")
	assert.Contains(t, refusals(r.app)[0], "prints its tags in the chat frame")

	r.game.mu.Lock()
	r.game.echo = false
	r.game.mu.Unlock()
	probes := r.game.probeCount()
	done := make(chan error, 1)
	go func() { _, err := r.app.Ping(context.Background()); done <- err }()
	eventually(t, func() bool { return r.game.probeCount() == probes+1 }, "second self-test key press")
	nonce := fmt.Sprintf("5e55-%d", probes+1)
	appendLog(r.log, "To [Mimiron]: "+r.game.sign("[MGM_PONG:"+nonce+"]")) // /mgm emit whisper
	require.NoError(t, <-done)
	appendLog(r.log, "To [Mimiron]: "+r.game.sign("[MGM_CONFIRM:"+p.ID+"]"))
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
}
