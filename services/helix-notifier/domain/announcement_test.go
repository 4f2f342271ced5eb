package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

var t0 = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)

func fresh() *domain.Announcement { return domain.NewAnnouncement("p1", "Артас", t0) }

func TestClaim_OnlyFromPendingAndReleaseAllowsTheNext(t *testing.T) {
	a := fresh()
	require.True(t, a.Claim("w1", t0))
	assert.Equal(t, domain.Posting, a.State)
	assert.False(t, a.Claim("w2", t0), "held by w1")
	assert.False(t, a.Release("w2", "not mine", t0), "only the claimer releases")

	require.True(t, a.Release("w1", "503", t0))
	assert.Equal(t, domain.Pending, a.State)
	assert.Equal(t, "503", a.Reason)
	require.True(t, a.Claim("w2", t0))
	assert.Equal(t, 2, a.Attempts)

	assert.True(t, errs.Has(a.Posted("w1", "m", t0), errs.Conflict), "w1 no longer holds the claim")
	require.NoError(t, a.Posted("w2", "m", t0))
	assert.Equal(t, domain.Posted, a.State)
	assert.False(t, a.Claim("w3", t0), "posted is final")
	assert.True(t, errs.Has(a.Fail("w2", "late", t0), errs.Conflict))
	assert.False(t, a.GiveUp("late", t0))
	assert.True(t, errs.Has(a.Rearm(t0, t0), errs.Conflict), "a posted announcement is never replayed")
}

func TestMarkUnknown_OnlyStaleClaimsAndLateTruthWins(t *testing.T) {
	a := fresh()
	require.True(t, a.Claim("w1", t0))
	assert.False(t, a.MarkUnknown(t0.Add(-time.Minute), "unknown", t0), "a fresh claim is not unknown")
	assert.False(t, a.NeedsAttention(t0.Add(-time.Minute)))
	assert.True(t, a.NeedsAttention(t0.Add(time.Minute)), "a stale claim needs an operator")
	assert.Equal(t, domain.Unknown, a.Reported(t0.Add(time.Minute)).State, "and is reported unknown")
	assert.Equal(t, domain.Posting, a.State, "reporting changes nothing")

	require.True(t, a.MarkUnknown(t0.Add(time.Minute), "unknown", t0.Add(2*time.Minute)))
	assert.Equal(t, domain.Unknown, a.State)
	assert.True(t, a.NeedsAttention(t0))

	require.NoError(t, a.Posted("w1", "m", t0.Add(3*time.Minute)), "the claimer's late answer")
	assert.Equal(t, domain.Posted, a.State)
	assert.Empty(t, a.Reason)
	assert.Nil(t, a.FailedAt)
	assert.False(t, a.NeedsAttention(t0.Add(time.Hour)))
}

func TestFail_FromTheClaimOrPendingOnly(t *testing.T) {
	a := fresh()
	require.True(t, a.Claim("w1", t0))
	assert.True(t, errs.Has(a.Fail("w2", "x", t0), errs.Conflict))
	require.NoError(t, a.Fail("w1", "msg_banned", t0))
	assert.Equal(t, domain.Failed, a.State)
	assert.Empty(t, a.ClaimedBy)

	b := fresh()
	require.NoError(t, b.Fail("anyone", "retries exhausted", t0), "a released claim on the last delivery")
	c := fresh()
	require.True(t, c.GiveUp("event too old", t0))
	assert.Equal(t, domain.Failed, c.State)
	assert.Zero(t, c.Attempts)
	assert.False(t, c.GiveUp("again", t0))
}

func TestRearm_RefusesLiveClaimsAndCountsReplays(t *testing.T) {
	a := fresh()
	require.True(t, a.Claim("w1", t0))
	assert.True(t, errs.Has(a.Rearm(t0.Add(-time.Minute), t0), errs.Conflict), "live claim")
	require.NoError(t, a.Rearm(t0.Add(time.Minute), t0), "a stalled claim may be replayed")
	assert.Equal(t, domain.Pending, a.State)
	assert.Equal(t, 1, a.Replays)

	require.True(t, a.Claim("w2", t0))
	require.NoError(t, a.Fail("w2", "msg_banned", t0))
	require.NoError(t, a.Rearm(t0, t0))
	assert.Equal(t, 2, a.Replays)
	assert.Equal(t, "replay requested", a.Reason)
}

func TestNeedsAttention_PendingOnlyWhenStalled(t *testing.T) {
	a := fresh()
	assert.False(t, a.NeedsAttention(t0))
	assert.True(t, a.NeedsAttention(t0.Add(time.Second)))
}
