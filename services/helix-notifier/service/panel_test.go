package service_test

import (
	"context"
	"encoding/json"
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
func startPanel(t *testing.T) *harness {
	t.Helper()
	h := start(t, func(c *config.Config) {
		c.ExtensionClientID = fakehelix.ExtensionClientID
		c.ExtensionSecrets = []string{panelSecret}
	})
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
