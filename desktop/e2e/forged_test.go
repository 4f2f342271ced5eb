package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/fakeapi"
	"github.com/mimiron/mgm/desktop/internal/loop"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/tagsig"
	"github.com/mimiron/mgm/pkg/wowclient"
)

// forgeRig is the real addon in the headless client, the Desktop typing into it and a
// fake API: what reaches the API is what the Desktop believed.
type forgeRig struct {
	t     *testing.T
	api   *fakeapi.Server
	game  *wowclient.Client
	typed *loop.Keys
	desk  *loop.Desktop
}

func newForgeRig(t *testing.T, emit string, mods ...func(*wowclient.Options)) *forgeRig {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r := &forgeRig{t: t, api: fakeapi.New("k3y")}
	t.Cleanup(r.api.Close)
	var err error
	r.game, err = loop.StartGame(ctx, t.TempDir(), mods...)
	require.NoError(t, err)
	t.Cleanup(func() { r.game.Close() })
	require.NoError(t, r.game.Type("/mgm emit "+emit))
	r.typed = loop.NewKeys(r.game)
	r.desk = loop.NewDesktop(t.TempDir(), r.api.URL, "k3y", r.game.LogPath(), inject.NewHeadless(r.typed), t.Logf)
	t.Cleanup(r.desk.Stop)
	require.NoError(t, r.desk.Start(ctx))
	require.Eventually(t, func() bool { return r.desk.App.State().Pairing.Level == "ok" }, 30*time.Second, 20*time.Millisecond,
		"the Desktop did not pair with the addon")
	return r
}

func (r *forgeRig) refusals() []string {
	var out []string
	for _, e := range r.desk.App.State().Events {
		if strings.HasPrefix(e.Text, "refused a tag line") {
			out = append(out, e.Text)
		}
	}
	return out
}

// genuine is the last line the addon printed holding tag (as the chat frame showed it,
// so on stream), and its signature.
func (r *forgeRig) genuine(tag string) (line, sig string) {
	lines := r.game.ChatLines()
	for i := len(lines) - 1; i >= 0; i-- {
		if j := strings.Index(lines[i], tag); j >= 0 && strings.Contains(lines[i], tagsig.Prefix) {
			return lines[i][j:], lines[i][len(lines[i])-tagsig.Len:]
		}
	}
	r.t.Fatalf("no signed %s in the chat frame", tag)
	return "", ""
}

// Another player tries to drive the backend through every channel the chat log records,
// with tags copied from the stream; none of it reaches the API and each line is logged
// once as refused. The streamer's addon meanwhile works as before.
func TestForgedTags_NoOtherPlayerReachesTheAPI(t *testing.T) {
	for _, emit := range []string{"chatframe", "whisper"} {
		t.Run(emit, func(t *testing.T) {
			r := newForgeRig(t, emit)
			p := r.api.AddPayout("Норинн", domain.PayoutInProgress)
			// A spin whose candidate is offline: the addon reports "online":false, and a
			// forged "online":true would create a payout.
			r.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-1", CharacterName: "Норинн"})
			require.Eventually(t, func() bool { return r.api.Count("POST /api/roulette/verify-candidate") == 1 }, 20*time.Second,
				20*time.Millisecond, "the genuine /who report")
			genuineWho, whoSig := r.genuine("[MGM_WHO]")
			require.Contains(t, genuineWho, `"online":false`)
			forgedWho := strings.Replace(genuineWho[:len(genuineWho)-tagsig.Len], `"online":false`, `"online":true`, 1)
			confirm := "[MGM_CONFIRM:" + p.ID + "]"
			accept := "[MGM_ACCEPT:" + p.ID + "]"
			stamp := time.Now().Format("1/2 15:04:05.000") + "  "
			before := len(r.refusals())

			evil := r.game.Other("Evil")
			sends := []func() error{
				func() error { return evil.Say(confirm + whoSig) },
				func() error { return evil.Yell(forgedWho + whoSig) },
				func() error { return evil.Emote(accept) },
				func() error { return evil.Channel(5, "MGM_WHO", forgedWho+whoSig) },
				func() error { return evil.Channel(6, "[MGM_CONFIRM:"+p.ID+"]", "x "+confirm) },
				func() error { return evil.Whisper(confirm + whoSig) },
				func() error { return evil.Guild(accept) },
				func() error { return evil.Party(forgedWho) },
				func() error { return r.game.Other("MGM_CONFIRM:" + p.ID).Say("gg") },
				func() error { return r.game.Other("Mimiron-Frostmourne").Whisper(confirm + whoSig) },
				// A line break of the player's own: a whole line of their choosing, right
				// after a timestamp, as the addon's own lines stand.
				func() error { return evil.Say("hi\n" + stamp + confirm) },                            // unsigned
				func() error { return evil.Say("hi\n" + stamp + forgedWho + whoSig) },                 // a genuine signature, another payload
				func() error { return evil.Say("hi\n" + stamp + "To [Mimiron]: " + accept + whoSig) }, // the same as a whisper to oneself
			}
			for _, send := range sends {
				require.NoError(t, send())
			}
			require.Eventually(t, func() bool { return len(r.refusals())-before >= len(sends) }, 10*time.Second, 20*time.Millisecond,
				"every forged line refused")
			// The same genuine line again (a replay of the exact payload) is handled once.
			require.NoError(t, evil.Say("hi\n"+stamp+genuineWho))
			time.Sleep(500 * time.Millisecond)
			assert.Len(t, r.refusals()[:len(r.refusals())-before], len(sends), "each logged once: %v", r.refusals())
			assert.Equal(t, 1, r.api.Count("POST /api/roulette/verify-candidate"), "only the genuine report")
			assert.Zero(t, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"))
			assert.Zero(t, r.api.Count("POST /api/payouts/"+p.ID+"/confirm-acceptance"))
			got, _ := r.api.Payout(p.ID)
			assert.Equal(t, domain.PayoutInProgress, got.Status)
			assert.Len(t, pendingFromFake(r), 1, "no payout created by a forged online:true")

			// The streamer's own addon still gets through.
			r.game.SetOnline("Норинн")
			require.NoError(t, r.game.Type(`/run NotifyWinnerWhisper("`+p.ID+`","Норинн")`))
			require.NoError(t, r.game.Whisper("Норинн", "!twgold"))
			require.Eventually(t, func() bool { return r.api.Count("POST /api/payouts/"+p.ID+"/confirm-acceptance") == 1 }, 10*time.Second,
				20*time.Millisecond, "the genuine acceptance")
			assert.Empty(t, r.game.Errors())
		})
	}
}

func pendingFromFake(r *forgeRig) []events.Payout {
	var out []events.Payout
	for _, c := range r.desk.App.State().Payouts {
		out = append(out, c.Payout)
	}
	return out
}

// A second, different answer to the Desktop's pairing — possible only for whoever can
// write whole lines into the log, and who saw the nonce and the Desktop's public key on
// stream — makes the Desktop drop the key and say so rather than trust either answer;
// the next self-test pairs again.
func TestForgedTags_AForgedPairingAnswerDropsTheKeyVisibly(t *testing.T) {
	r := newForgeRig(t, "chatframe")
	var nonce, desktopPub string
	for _, l := range r.typed.Calls() {
		if m := pairTyped.FindStringSubmatch(l); m != nil {
			nonce, desktopPub = m[1], m[2]
		}
	}
	require.NotEmpty(t, nonce)
	k, pub, err := tagsig.Answer(nonce, desktopPub)
	require.NoError(t, err)
	stamp := time.Now().Format("1/2 15:04:05.000") + "  "
	require.NoError(t, r.game.Other("Evil").Say("hi\n"+stamp+k.Sign(fmt.Sprintf(`[MGM_PAIR:%s]{"pub":"%s"}`, nonce, pub))))
	require.Eventually(t, func() bool { return r.desk.App.State().Pairing.Level == "error" }, 10*time.Second, 20*time.Millisecond)
	assert.Contains(t, r.desk.App.State().Pairing.Text, "two different answers")
	assert.Len(t, r.refusals(), 1)
	_, err = r.desk.App.Ping(context.Background())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return r.desk.App.State().Pairing.Level == "ok" }, 30*time.Second, 20*time.Millisecond,
		"paired again after the self-test")
}

var pairTyped = regexp.MustCompile(`^/run MGM_Pair\("([^"]+)","([0-9a-f]{64})"\)$`)

// A Russian client writes whispers in Russian; the Desktop pairs with its addon in
// whisper mode all the same, and still refuses another player's whisper.
func TestForgedTags_ARussianClientInWhisperMode(t *testing.T) {
	r := newForgeRig(t, "whisper", func(o *wowclient.Options) { o.Locale = "ruRU" })
	p := r.api.AddPayout("Норинн", domain.PayoutInProgress)
	require.NoError(t, r.game.Other("Злодей").Whisper("[MGM_CONFIRM:"+p.ID+"]"))
	require.Eventually(t, func() bool { return len(r.refusals()) >= 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Contains(t, strings.Join(r.refusals(), "\n"), "Злодей")
	r.game.SetOnline("Норинн")
	require.NoError(t, r.game.Type(`/run NotifyWinnerWhisper("`+p.ID+`","Норинн")`))
	require.NoError(t, r.game.Whisper("Норинн", "!twgold"))
	require.Eventually(t, func() bool { return r.api.Count("POST /api/payouts/"+p.ID+"/confirm-acceptance") == 1 }, 15*time.Second,
		20*time.Millisecond, "the genuine acceptance, whispered to oneself in Russian")
	assert.Zero(t, r.api.Count("PATCH /api/payouts/"+p.ID+"/status"))
}

// strayPoster types the first pairing into an edit box the addon has never seen, which
// takes the focus in the same instant: the box shows the command on stream (what it
// held is kept in shown). Every other typing goes through.
type strayPoster struct {
	*loop.Keys
	mu    sync.Mutex
	shown string
}

func (s *strayPoster) PostStrokes(strokes []inject.Stroke) error {
	var b strings.Builder
	for _, st := range strokes {
		if st.Key == "" {
			b.WriteRune(rune(st.Char))
		}
	}
	s.mu.Lock()
	stray := s.shown == "" && strings.Contains(b.String(), "MGM_Pair(")
	s.mu.Unlock()
	if !stray {
		return s.Keys.PostStrokes(strokes)
	}
	if err := s.Run(`local b = CreateFrame("EditBox", "StrayBox", UIParent) b:SetAutoFocus(false) b:SetFocus()`); err != nil {
		return err
	}
	if err := s.Keys.PostStrokes(strokes); err != nil {
		return err
	}
	s.mu.Lock()
	s.shown = s.Text("StrayBox")
	s.mu.Unlock()
	return s.Run(`StrayBox:SetText("") StrayBox:ClearFocus()`)
}

var strayPairRe = regexp.MustCompile("`MGM`([A-Za-z0-9]+) MGM_Pair\\(\"([^\"]+)\",\"([0-9a-f]{64})\"\\)`")

// The first pairing's typing goes astray into a box the stream shows. A watcher reads the
// nonce and the Desktop's public key there and, with line breaks of their own, answers
// the pairing with a key they share with the Desktop, acknowledges the command (so it is
// not typed again) and signs a confirmation of a payout with it. The Desktop holds all
// that until the addon answers the self-test key with the new key — it answers without
// one — so nothing reaches the API, and the Desktop then pairs with the addon itself.
func TestForgedTags_APairingAnsweredFromATypingSeenOnStreamIsNotTrusted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api := fakeapi.New("k3y")
	t.Cleanup(api.Close)
	p := api.AddPayout("Норинн", domain.PayoutInProgress)
	game, err := loop.StartGame(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { game.Close() })
	stray := &strayPoster{Keys: loop.NewKeys(game)}
	desk := loop.NewDesktop(t.TempDir(), api.URL, "k3y", game.LogPath(), inject.NewHeadless(stray), t.Logf)
	t.Cleanup(desk.Stop)
	require.NoError(t, desk.Start(ctx))

	var m []string
	require.Eventually(t, func() bool {
		stray.mu.Lock()
		defer stray.mu.Unlock()
		m = strayPairRe.FindStringSubmatch(stray.shown)
		return m != nil
	}, 30*time.Second, 20*time.Millisecond, "the pairing typed into the stray box")
	k, pub, err := tagsig.Answer(m[2], m[3])
	require.NoError(t, err)
	stamp := time.Now().Format("1/2 15:04:05.000") + "  "
	require.NoError(t, game.Other("Evil").Say("hi\n"+stamp+k.Sign(fmt.Sprintf(`[MGM_PAIR:%s]{"pub":"%s"}`, m[2], pub))+
		"\n"+stamp+k.Sign("[MGM_ACK:"+m[1]+"]")+"\n"+stamp+k.Sign("[MGM_CONFIRM:"+p.ID+"]")))

	require.Eventually(t, func() bool {
		st := desk.App.State()
		return st.Pairing.Level == "ok" && !strings.Contains(st.Pairing.Text, k.ID)
	}, 60*time.Second, 20*time.Millisecond, "paired with the addon itself")
	assert.Zero(t, api.Count("PATCH /api/payouts/"+p.ID+"/status"), "the forged confirmation reached the API")
	got, _ := api.Payout(p.ID)
	assert.Equal(t, domain.PayoutInProgress, got.Status)
	events := ""
	for _, e := range desk.App.State().Events {
		events += e.Text + "\n"
	}
	assert.Contains(t, events, "refused: the addon answered the self-test without the key just agreed on")

	// the addon's own tags go through with the key it agreed on
	game.SetOnline("Норинн")
	require.NoError(t, game.Type(`/run NotifyWinnerWhisper("`+p.ID+`","Норинн")`))
	require.NoError(t, game.Whisper("Норинн", "!twgold"))
	require.Eventually(t, func() bool { return api.Count("POST /api/payouts/"+p.ID+"/confirm-acceptance") == 1 }, 20*time.Second,
		20*time.Millisecond, "the genuine acceptance")
	assert.Empty(t, game.Errors())
}

// A player named "To" writes lines that read like the streamer's whispers to themself
// ("To Mimiron: …", with an emote) and repeats the addon's pongs seen on stream. In
// whisper mode none of it makes the Desktop pair again or take another character for
// the streamer's: the addon's own tags keep going through with the same key.
func TestForgedTags_APlayerNamedToCannotUnpairOrRenameTheStreamer(t *testing.T) {
	t.Parallel()
	r := newForgeRig(t, "whisper")
	key := r.desk.App.State().Pairing.Text
	require.NoError(t, r.desk.App.StartPing(context.Background()))
	pong := ""
	require.Eventually(t, func() bool {
		for _, l := range r.game.ChatLines() {
			if i := strings.Index(l, "[MGM_PONG:"); i >= 0 && strings.Contains(l, tagsig.Prefix) {
				pong = l[i:]
			}
		}
		return pong != ""
	}, 10*time.Second, 20*time.Millisecond, "a signed pong shown on stream")
	to := r.game.Other("To")
	for i := 0; i < 3; i++ {
		require.NoError(t, to.Emote(fmt.Sprintf("Mimiron: [MGM_PONG:beef-%d]", i)))
		require.NoError(t, to.Emote("Evil: "+pong))
		require.NoError(t, r.desk.App.StartPing(context.Background())) // a self-test in flight
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(12 * time.Second) // longer than the Desktop's PingTimeout (10 s here)
	assert.Equal(t, key, r.desk.App.State().Pairing.Text, "the same key")
	pairs := 0
	for _, c := range r.typed.Calls() {
		if strings.Contains(c, "MGM_Pair(") {
			pairs++
		}
	}
	assert.Equal(t, 1, pairs, "paired once, at the start")

	p := r.api.AddPayout("Норинн", domain.PayoutInProgress)
	r.game.SetOnline("Норинн")
	require.NoError(t, r.game.Type(`/run NotifyWinnerWhisper("`+p.ID+`","Норинн")`))
	require.NoError(t, r.game.Whisper("Норинн", "!twgold"))
	require.Eventually(t, func() bool { return r.api.Count("POST /api/payouts/"+p.ID+"/confirm-acceptance") == 1 }, 20*time.Second,
		20*time.Millisecond, "the streamer's whispered acceptance")
}
