package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/mgm/allinone"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

const announcement = "Награда отправлена персонажу Норинн на почту, проверяй ящик!"

func shortSpins(c *config.Config) { c.SpinInterval = 2 * time.Second }

// waitCandidate polls the Desktop's candidate route until a cycle awaits a report.
func waitCandidate(t *testing.T, sys *allinonetest.System) events.Candidate {
	t.Helper()
	var c events.Candidate
	testenv.Eventually(t, 10*time.Second, func() bool {
		c = events.Candidate{}
		status, _ := sys.Do(t, http.MethodGet, "/api/roulette/candidate", "apikey", nil, &c)
		return status == http.StatusOK && c.SpinCycleID != ""
	}, "no candidate was drawn")
	return c
}

func report(c events.Candidate, online bool) events.WhoReport {
	return events.WhoReport{SchemaVersion: 1, SpinCycleID: c.SpinCycleID, CharacterName: c.CharacterName, Online: online, CapturedAt: time.Now().UTC()}
}

// The whole backend loop against the public HTTP address: signed chat enrollment →
// draw → candidate → verify online → Pending → confirm-acceptance → InProgress → Sent →
// announcement once → member gone from the pool and free to re-enroll.
func TestE2E_GoldLoop(t *testing.T) {
	t.Parallel()
	sys := allinonetest.Start(t, shortSpins)
	viewer := sys.ViewerToken("7001")
	sys.Enroll(t, "7001", "Норинн")

	cand := waitCandidate(t, sys)
	assert.Equal(t, "Норинн", cand.CharacterName)
	assert.True(t, cand.VerifyDeadline.After(cand.DrawnAt))

	// The Desktop's /who report, in a different case, as the addon may print it.
	rep := report(cand, true)
	rep.CharacterName = "нОРИНН"
	var vr events.VerifyReply
	status, body := sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", rep, &vr)
	require.Equal(t, 2, status/100, string(body))
	require.NotNil(t, vr.Payout)
	assert.Equal(t, events.OutcomeWinner, vr.Outcome)
	p := *vr.Payout
	assert.Equal(t, domain.PayoutPending, p.Status)
	assert.Equal(t, int64(1000), p.GoldAmount)

	// The same report again: idempotent, same payout.
	var again events.VerifyReply
	status, _ = sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", rep, &again)
	require.Equal(t, 2, status/100)
	require.NotNil(t, again.Payout)
	assert.Equal(t, p.ID, again.Payout.ID)

	var pending []events.Payout
	status, _ = sys.Do(t, http.MethodGet, "/api/payouts/pending", "apikey", nil, &pending)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, pending, 1)
	assert.Nil(t, pending[0].AcceptedAt)

	var accepted events.Payout
	status, body = sys.Do(t, http.MethodPost, "/api/payouts/"+p.ID+"/confirm-acceptance", "apikey", map[string]string{"characterName": "норинн"}, &accepted)
	require.Equal(t, http.StatusOK, status, string(body))
	require.NotNil(t, accepted.AcceptedAt)
	assert.Equal(t, domain.PayoutPending, accepted.Status, "acceptance never changes the status")

	for _, st := range []string{domain.PayoutInProgress, domain.PayoutSent} {
		var out events.Payout
		status, body = sys.Do(t, http.MethodPatch, "/api/payouts/"+p.ID+"/status", "apikey", map[string]string{"status": st}, &out)
		require.Equal(t, http.StatusOK, status, string(body))
		assert.Equal(t, st, out.Status)
	}
	// Log replay of the confirm tag: repeating Sent succeeds, changes nothing.
	status, _ = sys.Do(t, http.MethodPatch, "/api/payouts/"+p.ID+"/status", "apikey", map[string]string{"status": domain.PayoutSent}, nil)
	assert.Equal(t, http.StatusOK, status)
	// Terminal: no way back.
	status, body = sys.Do(t, http.MethodPatch, "/api/payouts/"+p.ID+"/status", "apikey", map[string]string{"status": domain.PayoutPending}, nil)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, string(body), "terminal_status_change_not_allowed")

	// The announcement: posted once with the exact text, flagged on the read model.
	testenv.Eventually(t, 10*time.Second, func() bool { return len(sys.Helix.Posts()) >= 1 }, "no announcement posted")
	var last events.Payout
	testenv.Eventually(t, 10*time.Second, func() bool {
		status, _ := sys.Do(t, http.MethodGet, "/api/payouts/my-last", viewer, nil, &last)
		return status == http.StatusOK && last.IsRewardSentAnnouncedToChat
	}, "isRewardSentAnnouncedToChat never became true")
	assert.Equal(t, domain.PayoutSent, last.Status)
	posts := sys.Helix.Posts()
	require.Len(t, posts, 1)
	assert.Equal(t, announcement, posts[0].Message)

	// Sent removed the winner from the pool; chat enrollment brings them back.
	var me events.PoolMeReply
	testenv.Eventually(t, 5*time.Second, func() bool {
		me = events.PoolMeReply{}
		sys.Do(t, http.MethodGet, "/api/pool/me", viewer, nil, &me)
		return !me.IsEnrolled
	}, "winner still in the pool after Sent")
	sys.Enroll(t, "7001", "Норинн")
	testenv.Eventually(t, 5*time.Second, func() bool {
		me = events.PoolMeReply{}
		sys.Do(t, http.MethodGet, "/api/pool/me", viewer, nil, &me)
		return me.IsEnrolled
	}, "winner could not re-enroll")

	// Every viewer sees who won.
	var st map[string]any
	status, _ = sys.Do(t, http.MethodGet, "/api/roulette/state", viewer, nil, &st)
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 2, st["spinIntervalSeconds"])
	time.Sleep(100 * time.Millisecond)
	assert.Len(t, sys.Helix.Posts(), 1, "announced at most once")
}

// An offline report and a late report produce no payout, and the cycle is not re-drawn.
func TestE2E_OfflineAndLateReportsCreateNoPayout(t *testing.T) {
	t.Parallel()
	clock := &allinonetest.OffsetClock{}
	sys := allinonetest.StartWith(t, shortSpins, allinone.Options{Now: clock.Now})
	sys.Enroll(t, "7101", "Thrall")

	cand := waitCandidate(t, sys)
	var vr events.VerifyReply
	status, body := sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", report(cand, false), &vr)
	require.Equal(t, 2, status/100, string(body))
	assert.Equal(t, events.OutcomeOffline, vr.Outcome)
	assert.Nil(t, vr.Payout)

	// The candidate route no longer offers the cycle that has its outcome.
	var c2 events.Candidate
	status, _ = sys.Do(t, http.MethodGet, "/api/roulette/candidate", "apikey", nil, &c2)
	if status == http.StatusOK {
		assert.NotEqual(t, cand.SpinCycleID, c2.SpinCycleID, "a decided cycle is not offered again")
	}

	// The next cycle draws the same viewer (still eligible); its report comes too late.
	next := cand
	testenv.Eventually(t, 10*time.Second, func() bool {
		next = waitCandidate(t, sys)
		return next.SpinCycleID != cand.SpinCycleID
	}, "no next cycle")
	clock.Advance(next.VerifyDeadline.Sub(clock.Now()) + time.Second)
	status, body = sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", report(next, true), nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), "out_of_sequence")

	var pending []events.Payout
	status, _ = sys.Do(t, http.MethodGet, "/api/payouts/pending", "apikey", nil, &pending)
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, pending)
	status, _ = sys.Do(t, http.MethodGet, "/api/payouts/my-last", sys.ViewerToken("7101"), nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
}
