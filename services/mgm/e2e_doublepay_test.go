package main

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// A late /who report for cycle N, arriving after cycle N+1 has drawn the same viewer,
// must not let both cycles pay: with 2 s spins each cycle takes reports for 32 s, so
// the payout of N can be created, mailed and Sent before N+1's report arrives. One
// viewer, one enrollment, one payout (docs/product.md §2: one active payout per viewer,
// eligible only without one).
func TestE2E_LateReportAfterTheNextCycleDrewTheSameViewerPaysOnce(t *testing.T) {
	t.Parallel()
	sys := allinonetest.Start(t, shortSpins)
	viewer := sys.ViewerToken("7201")
	sys.Enroll(t, "7201", "Jaina")

	// Cycle N draws the only member; nobody reports. Cycle N+1 draws her again.
	first := waitCandidate(t, sys)
	require.Equal(t, "Jaina", first.CharacterName)
	second := first
	testenv.Eventually(t, 10*time.Second, func() bool {
		second = waitCandidate(t, sys)
		return second.SpinCycleID != first.SpinCycleID
	}, "the next cycle did not draw")
	require.Equal(t, "Jaina", second.CharacterName, "the next cycle drew the same viewer")
	require.True(t, time.Now().Before(first.VerifyDeadline), "cycle N still takes its report")

	// The late report for N, twice at once (the Desktop retrying): one payout.
	var wg sync.WaitGroup
	replies := make([]events.VerifyReply, 2)
	statuses := make([]int, 2)
	for i := range replies {
		wg.Go(func() {
			statuses[i], _ = sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", report(first, true), &replies[i])
		})
	}
	wg.Wait()
	for i := range replies {
		require.Equal(t, 2, statuses[i]/100, "report %d for cycle N", i)
		require.NotNil(t, replies[i].Payout)
	}
	p := *replies[0].Payout
	require.Equal(t, p.ID, replies[1].Payout.ID, "one payout for one cycle")
	assert.Equal(t, first.SpinCycleID, p.SpinCycleID)

	// While that payout is active, N+1's report is refused.
	status, body := sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", report(second, true), nil)
	assert.Equal(t, http.StatusConflict, status, string(body))
	assert.Contains(t, string(body), "active_payout_exists")

	// The gold is mailed: Pending → InProgress → Sent, well within N+1's deadline.
	for _, st := range []string{domain.PayoutInProgress, domain.PayoutSent} {
		status, body = sys.Do(t, http.MethodPatch, "/api/payouts/"+p.ID+"/status", "apikey", map[string]string{"status": st}, nil)
		require.Equal(t, http.StatusOK, status, string(body))
	}
	require.True(t, time.Now().Before(second.VerifyDeadline), "cycle N+1 still takes its report")

	// N+1's report again: she was drawn while she was N's candidate and has been paid
	// since; a second payout would pay one enrollment twice.
	var vr events.VerifyReply
	status, body = sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", report(second, true), &vr)
	assert.Equal(t, http.StatusConflict, status, "second payout for one viewer: %s", body)
	assert.Contains(t, string(body), "active_payout_exists")

	var pending []events.Payout
	status, _ = sys.Do(t, http.MethodGet, "/api/payouts/pending", "apikey", nil, &pending)
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, pending, "no payout besides the Sent one")
	var last events.Payout
	status, _ = sys.Do(t, http.MethodGet, "/api/payouts/my-last", viewer, nil, &last)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, p.ID, last.ID, "the viewer's latest payout is the one she was paid")
	assert.Equal(t, domain.PayoutSent, last.Status)
}
