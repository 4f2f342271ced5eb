package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/services/helix-notifier/service"
)

var panelSecret = extjwt.NewSecret("notifier-panel")

// startPanel is the harness with the extension configured: pushes go to the fake's
// Extension PubSub, which checks their JWTs with the same secret.
func startPanel(t *testing.T, tweak ...func(*config.Config)) *harness {
	t.Helper()
	h := start(t, append([]func(*config.Config){func(c *config.Config) {
		c.ExtensionClientID = fakehelix.ExtensionClientID
		c.ExtensionSecrets = []string{panelSecret}
	}}, tweak...)...)
	require.NoError(t, h.fake.SetExtensionSecrets(panelSecret))
	return h
}

func panelOptions() service.Options {
	o := fastOptions()
	o.PanelTick = 50 * time.Millisecond
	o.PanelRateWait = 200 * time.Millisecond
	return o
}

// link records a viewer's opaque id as the gateway does when they share identity.
func (h *harness) link(userID, opaque string) {
	h.t.Helper()
	kv, err := natsx.ViewersBucket(context.Background(), h.js)
	require.NoError(h.t, err)
	_, err = kv.PutString(context.Background(), "u."+userID, opaque)
	require.NoError(h.t, err)
}

type pushed struct {
	target string
	msg    map[string]any
}

func (h *harness) pushes() []pushed {
	var out []pushed
	for _, m := range h.fake.PubSubMessages(0) {
		var v map[string]any
		require.NoError(h.t, json.Unmarshal([]byte(m.Message), &v))
		out = append(out, pushed{m.Target, v})
	}
	return out
}

func (h *harness) countTarget(target string) int {
	n := 0
	for _, p := range h.pushes() {
		if p.target == target {
			n++
		}
	}
	return n
}

func TestPanelPush_WhispersAViewerTheirOwnPayoutAndBroadcastsTheState(t *testing.T) {
	t.Parallel()
	h := startPanel(t)
	h.link("u-Norinn", "UopqNorinn")
	h.replica(panelOptions())

	testenv.Eventually(t, 10*time.Second, func() bool { return h.countTarget("broadcast") >= 1 }, "the state is broadcast at start")
	b := h.pushes()[0]
	assert.Equal(t, "broadcast", b.target)
	assert.Equal(t, "state", b.msg["kind"])
	assert.EqualValues(t, 1, b.msg["schema"])
	st := b.msg["state"].(map[string]any)
	assert.Equal(t, "idle", st["spinPhase"])
	assert.Contains(t, st, "nextSpinAt")

	id := uuid.NewString()
	h.publishStatus(id, "Norinn", domain.PayoutInProgress, domain.PayoutSent)
	h.publishStatus(uuid.NewString(), "Stranger", domain.PayoutInProgress, domain.PayoutSent) // never shared identity
	testenv.Eventually(t, 10*time.Second, func() bool { return h.countTarget("whisper-UopqNorinn") == 1 }, "the winner is whispered")
	var w pushed
	for _, p := range h.pushes() {
		if p.target == "whisper-UopqNorinn" {
			w = p
		}
	}
	assert.Equal(t, "viewer", w.msg["kind"])
	part := w.msg["payout"].(map[string]any)
	v := part["value"].(map[string]any)
	assert.Equal(t, id, v["id"])
	assert.Equal(t, "Sent", v["status"])
	assert.NotContains(t, v, "twitchUserId", "a whisper carries only what the panel shows")
	assert.Equal(t, part["version"], w.msg["version"])
	h.drained(events.StreamPayout.Name, "helix-notifier-panel-payout")
	assert.Zero(t, h.countTarget("whisper-UopqStranger"))
	assert.EqualValues(t, 1, h.metric("panel_unlinked"))
	assert.EqualValues(t, 1, h.metric("panel_whispers"))
}

func TestPanelPush_A429HoldsPushesBackAndNothingIsLost(t *testing.T) {
	t.Parallel()
	h := startPanel(t)
	h.link("u-Jaina", "UopqJaina")
	h.fake.FailPubSubNext(1, http.StatusTooManyRequests)
	h.replica(panelOptions())
	h.publishStatus(uuid.NewString(), "Jaina", domain.PayoutInProgress, domain.PayoutSent)
	testenv.Eventually(t, 10*time.Second, func() bool {
		return h.countTarget("broadcast") >= 1 && h.countTarget("whisper-UopqJaina") == 1
	}, "the refused push is sent again after the wait")
	assert.EqualValues(t, 1, h.metric("panel_rate_limited"))
}

func TestPanelPush_OneReplicaBroadcasts(t *testing.T) {
	t.Parallel()
	h := startPanel(t)
	h.replica(panelOptions())
	h.replica(panelOptions())
	testenv.Eventually(t, 10*time.Second, func() bool { return h.countTarget("broadcast") >= 1 }, "a broadcast")
	time.Sleep(time.Second) // both replicas tick twenty times meanwhile
	assert.Equal(t, 1, h.countTarget("broadcast"), "the state went out once, from the lease holder")
}

func TestPanelPush_ChangesWaitingTogetherBecomeOneWhisper(t *testing.T) {
	t.Parallel()
	h := startPanel(t)
	h.link("u-Anduin", "UopqAnduin")
	id := uuid.NewString()
	// The Desktop moved the payout twice before the notifier got to it.
	h.publishStatus(id, "Anduin", domain.PayoutPending, domain.PayoutInProgress)
	h.publishStatus(id, "Anduin", domain.PayoutInProgress, domain.PayoutSent)
	h.replica(panelOptions())
	h.drained(events.StreamPayout.Name, "helix-notifier-panel-payout")
	require.Equal(t, 1, h.countTarget("whisper-UopqAnduin"), "coalesced into one whisper")
	for _, p := range h.pushes() {
		if p.target == "whisper-UopqAnduin" {
			v := p.msg["payout"].(map[string]any)["value"].(map[string]any)
			assert.Equal(t, "Sent", v["status"], "the newest change wins")
		}
	}
}

// enroll publishes a pool enrollment the way the pool service's relay does.
func (h *harness) enroll(userID, name string) {
	h.t.Helper()
	env, err := events.New("", events.PoolMemberEnrolled, "pool", time.Now(),
		events.PoolMember{TwitchUserID: userID, TwitchDisplayName: name, CharacterName: name, PoolSize: 1, EligibleCount: 1})
	require.NoError(h.t, err)
	_, err = natsx.PublishEvent(context.Background(), h.js, env)
	require.NoError(h.t, err)
}

// A hype burst: hundreds of viewers who shared their identity enroll at once, each
// enrollment a whisper. Twitch allows a channel 100 Extension PubSub messages a minute,
// broadcasts and whispers together
// (https://dev.twitch.tv/docs/api/reference/#send-extension-pubsub-message), so the
// pusher keeps its own minute under that with room reserved for the broadcast and for
// the whispers that matter (a payout, a gift): pool-only whispers beyond their share
// are dropped (the panel shows the enrollment on its next read) instead of queueing
// into 429s for the next twenty minutes. Only the replica holding the broadcast lease
// sends, so two replicas do not spend the channel's minute twice.
func TestPanelPush_ABurstOfEnrollmentsStaysWithinTheChannelsMinuteAndTheWinStillGoesOut(t *testing.T) {
	t.Parallel()
	// A short cycle, so the coalesced broadcast (a third of a cycle apart) comes soon.
	h := startPanel(t, func(c *config.Config) { c.SpinInterval = 3 * time.Second })
	require.NoError(t, natsx.EnsureStreams(context.Background(), h.js, events.StreamPool))
	// Scaled down from Twitch's 100 so the test needs no minute: the fake refuses the
	// 31st message of a minute, the pusher allows itself 24 of which 6 are kept for
	// broadcasts and 6 more for payout and gift whispers.
	h.fake.SetPubSubLimit(30)
	o := panelOptions()
	o.PanelPushesPerMinute, o.PanelBroadcastReserve, o.PanelWhisperReserve = 24, 6, 6
	const burst = 120
	for i := range burst {
		uid := fmt.Sprintf("u-burst%03d", i)
		h.link(uid, fmt.Sprintf("Uopq%03d", i))
		h.enroll(uid, fmt.Sprintf("Burst%03d", i))
	}
	h.link("u-Thrall", "UopqThrall")
	h.replica(o)
	h.replica(o)
	testenv.Eventually(t, 10*time.Second, func() bool { return h.countTarget("broadcast") >= 1 }, "the state is broadcast")
	h.drained(events.StreamPool.Name, "helix-notifier-panel-pool")
	testenv.Eventually(t, 10*time.Second, func() bool {
		for _, p := range h.pushes() {
			if st, ok := p.msg["state"].(map[string]any); ok && p.target == "broadcast" && st["poolResync"] != nil {
				return st["poolResync"].(float64) > 0
			}
		}
		return false
	}, "a broadcast tells the panels that pool whispers were dropped, so they read their own state once")
	h.publishStatus(uuid.NewString(), "Thrall", domain.PayoutInProgress, domain.PayoutSent)
	testenv.Eventually(t, 10*time.Second, func() bool { return h.countTarget("whisper-UopqThrall") == 1 },
		"the winner's whisper goes out although the burst used up the pool whispers' share")
	h.drained(events.StreamPayout.Name, "helix-notifier-panel-payout")

	pool := 0
	for _, p := range h.pushes() {
		if p.target != "broadcast" && p.target != "whisper-UopqThrall" {
			pool++
		}
	}
	assert.LessOrEqual(t, pool, 24-6-6, "pool-only whispers keep to their share of the minute")
	assert.LessOrEqual(t, len(h.fake.PubSubMessages(0)), 24, "every push of the minute fits the pusher's budget")
	assert.Zero(t, h.metricSum("panel_rate_limited"), "Twitch never had to answer 429")
	assert.Positive(t, h.metricSum("panel_dropped"), "the rest of the burst was dropped, and counted")
}
