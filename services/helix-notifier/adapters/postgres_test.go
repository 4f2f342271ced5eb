package adapters_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/helix-notifier/adapters"
)

func repo(t *testing.T) *adapters.Repo {
	t.Helper()
	pool, err := adapters.Open(context.Background(), testenv.Postgres(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return adapters.NewRepo(pool)
}

func TestClaim_ConcurrentDeliveriesClaimOnce(t *testing.T) {
	r := repo(t)
	ctx := context.Background()
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, claimed, err := r.Claim(ctx, "p1", "Артас", "msg", fmt.Sprintf("w%d", i), now)
			assert.NoError(t, err)
			if claimed {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	assert.Equal(t, 1, winners)
}

func TestClaim_ReleaseAllowsTheNextClaimAndPostedEndsIt(t *testing.T) {
	r := repo(t)
	ctx := context.Background()
	now := time.Now()
	_, claimed, err := r.Claim(ctx, "p1", "Артас", "msg", "w1", now)
	require.NoError(t, err)
	require.True(t, claimed)
	_, claimed, err = r.Claim(ctx, "p1", "Артас", "msg", "w2", now)
	require.NoError(t, err)
	assert.False(t, claimed, "held by w1")

	require.NoError(t, r.Release(ctx, "p1", "w1", "503", now))
	a, claimed, err := r.Claim(ctx, "p1", "Артас", "msg", "w2", now)
	require.NoError(t, err)
	require.True(t, claimed)
	assert.Equal(t, 2, a.Attempts)

	assert.True(t, errs.Has(r.Posted(ctx, "p1", "w1", "m", now), errs.Conflict), "w1 no longer holds the claim")
	require.NoError(t, r.Posted(ctx, "p1", "w2", "m", now))
	a, claimed, err = r.Claim(ctx, "p1", "Артас", "msg", "w3", now)
	require.NoError(t, err)
	assert.False(t, claimed)
	assert.Equal(t, events.AnnouncementPosted, a.State)
	assert.Equal(t, "m", a.MessageID)
}

func TestMarkUnknown_OnlyStaleClaimsAndLateTruthWins(t *testing.T) {
	r := repo(t)
	ctx := context.Background()
	t0 := time.Now()
	_, _, err := r.Claim(ctx, "p1", "Артас", "msg", "w1", t0)
	require.NoError(t, err)
	changed, err := r.MarkUnknown(ctx, "p1", t0.Add(-time.Minute), t0, "unknown")
	require.NoError(t, err)
	assert.False(t, changed, "a fresh claim is not unknown")
	changed, err = r.MarkUnknown(ctx, "p1", t0.Add(time.Minute), t0.Add(2*time.Minute), "unknown")
	require.NoError(t, err)
	assert.True(t, changed)

	list, err := r.Attention(ctx, t0)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, events.AnnouncementUnknown, list[0].State)

	require.NoError(t, r.Posted(ctx, "p1", "w1", "m", t0.Add(3*time.Minute)))
	list, err = r.Attention(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, list)
}

func TestRearm_RefusesPostedAndLiveClaims(t *testing.T) {
	r := repo(t)
	ctx := context.Background()
	now := time.Now()
	_, _, err := r.Claim(ctx, "p1", "Артас", "msg", "w1", now)
	require.NoError(t, err)
	_, err = r.Rearm(ctx, "p1", now.Add(-time.Minute), now)
	assert.True(t, errs.Has(err, errs.Conflict), "live claim")

	_, err = r.Fail(ctx, "p1", "w1", "msg_banned", now)
	require.NoError(t, err)
	a, err := r.Rearm(ctx, "p1", now.Add(-time.Minute), now)
	require.NoError(t, err)
	assert.Equal(t, events.AnnouncementPending, a.State)
	assert.Equal(t, 1, a.Replays)

	_, err = r.Rearm(ctx, "nope", now, now)
	assert.True(t, errs.Has(err, errs.NotFound))
}
