package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// Setting Sent never waits for Helix: while Helix hangs the PATCH answers at once, and
// the announcement is posted once when Helix answers again.
func TestE2E_SentReturnsQuicklyWhileHelixHangs(t *testing.T) {
	t.Parallel()
	sys := allinonetest.Start(t, shortSpins)
	sys.Enroll(t, "7201", "Норинн")
	cand := waitCandidate(t, sys)
	var vr events.VerifyReply
	status, body := sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", report(cand, true), &vr)
	require.Equal(t, 2, status/100, string(body))
	require.NotNil(t, vr.Payout)
	id := vr.Payout.ID
	status, _ = sys.Do(t, http.MethodPatch, "/api/payouts/"+id+"/status", "apikey", map[string]string{"status": domain.PayoutInProgress}, nil)
	require.Equal(t, http.StatusOK, status)

	sys.Helix.Hang(3 * time.Second)
	start := time.Now()
	status, body = sys.Do(t, http.MethodPatch, "/api/payouts/"+id+"/status", "apikey", map[string]string{"status": domain.PayoutSent}, nil)
	elapsed := time.Since(start)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Less(t, elapsed, time.Second, "PATCH Sent must not wait for Helix")
	time.Sleep(time.Second)
	assert.Empty(t, sys.Helix.Posts(), "nothing posted while Helix hangs")
	sys.Helix.Hang(0)

	testenv.Eventually(t, 20*time.Second, func() bool { return len(sys.Helix.Posts()) == 1 }, "announcement never posted")
	assert.Equal(t, announcement, sys.Helix.Posts()[0].Message)
	time.Sleep(500 * time.Millisecond)
	assert.Len(t, sys.Helix.Posts(), 1)
}
