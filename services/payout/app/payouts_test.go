package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/payout/app"
	"github.com/mimiron/mgm/services/payout/domain"
	"github.com/mimiron/mgm/services/payout/internal/testkit"
)

var (
	t0  = testkit.T0
	req = testkit.NewPayout
)

func TestSetStatus_ConcurrentConflictingChangesOneWins(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	url := store.URL
	store2 := testkit.Open(t, url)
	clock := testenv.NewClock(t0)
	a1, a2 := app.New(store, clock.Now, nil), app.New(store2, clock.Now, nil)
	ctx := context.Background()

	for i := range 10 {
		p, err := a1.Create(ctx, req(fmt.Sprint("c", i), "u1", "Norinn"))
		require.NoError(t, err)
		_, err = a1.SetStatus(ctx, p.ID, "InProgress")
		require.NoError(t, err)
		var wg sync.WaitGroup
		results := make([]error, 4)
		targets := []string{"Sent", "Cancelled", "Sent", "Failed"}
		for j, to := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := a1
				if j%2 == 1 {
					a = a2
				}
				_, results[j] = a.SetStatus(ctx, p.ID, to)
			}()
		}
		wg.Wait()
		final, err := a1.Get(ctx, p.ID)
		require.NoError(t, err)
		require.True(t, final.Status.Terminal())
		for j, err := range results {
			if targets[j] == string(final.Status) {
				assert.NoError(t, err, "the winner, or a replay of it")
			} else {
				assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(err))
			}
		}
		assert.Equal(t, int64(3), final.Version, "created, InProgress, one terminal move")
	}
	// Every Sent counted exactly once.
	var sent int64
	rows, err := store.Active(ctx)
	require.NoError(t, err)
	assert.Empty(t, rows)
	require.NoError(t, store.SQL.QueryRow(ctx,
		`SELECT coalesce(sum(gold_amount), 0) FROM payouts WHERE twitch_user_id = 'u1' AND status = 'Sent'`).Scan(&sent))
	total := store.LifetimeSentGold(t, "u1")
	assert.Equal(t, sent, total, "the running total matches the read model")
}

func TestSweep_TwoReplicasExpireEachPayoutOnce(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	url := store.URL
	store2 := testkit.Open(t, url)
	clock := testenv.NewClock(t0)
	a1, a2 := app.New(store, clock.Now, nil), app.New(store2, clock.Now, nil)
	ctx := context.Background()

	const n = 2*app.SweepBatch + 30
	for i := range n {
		p, err := a1.Create(ctx, req(fmt.Sprint("c", i), fmt.Sprint("u", i), "Norinn"))
		require.NoError(t, err)
		if i%3 == 0 {
			_, err = a1.SetStatus(ctx, p.ID, "InProgress")
			require.NoError(t, err)
		}
	}
	clock.Advance(25 * time.Hour)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, a := range []*app.Service{a1, a2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each replica sweeps until nothing is due (SKIP LOCKED may end a pass early).
			for {
				c, err := a.Sweep(ctx)
				if !assert.NoError(t, err) {
					return
				}
				counts[i] += c
				active, err := a.Pending(ctx)
				if !assert.NoError(t, err) || len(active) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, n, counts[0]+counts[1], "each payout expired by exactly one replica")
	var expiredEvents int
	require.NoError(t, store.SQL.QueryRow(ctx,
		`SELECT count(*) FROM payout_events WHERE type = 'PayoutStatusChanged' AND data->>'to' = 'Expired'`).Scan(&expiredEvents))
	assert.Equal(t, n, expiredEvents)
	var expired int
	require.NoError(t, store.SQL.QueryRow(ctx, `SELECT count(*) FROM payouts WHERE status = 'Expired'`).Scan(&expired))
	assert.Equal(t, n, expired)
}

func TestSweep_IgnoresPayoutsNotYetDue(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	clock := testenv.NewClock(t0)
	a := app.New(store, clock.Now, nil)
	ctx := context.Background()
	p, err := a.Create(ctx, req("c1", "u1", "Norinn"))
	require.NoError(t, err)

	clock.Set(t0.Add(24 * time.Hour))
	n, err := a.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "exactly 24 h old is not older than 24 h")

	clock.Set(t0.Add(24*time.Hour + time.Microsecond))
	n, err = a.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got, err := a.Get(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.Expired, got.Status)
}

func TestStore_ReadModelMatchesTheFoldOfEvents(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	clock := testenv.NewClock(t0)
	a := app.New(store, clock.Now, nil)
	ctx := context.Background()
	p, err := a.Create(ctx, req("c1", "u1", "Норинн"))
	require.NoError(t, err)
	clock.Advance(time.Second)
	_, err = a.Accept(ctx, p.ID, "НОРИНН")
	require.NoError(t, err)
	clock.Advance(time.Second)
	_, err = a.SetStatus(ctx, p.ID, "InProgress")
	require.NoError(t, err)
	clock.Advance(time.Second)
	live, err := a.SetStatus(ctx, p.ID, "Sent")
	require.NoError(t, err)
	clock.Advance(time.Second)
	_, err = a.MarkAnnounced(ctx, p.ID, "m")
	require.NoError(t, err)

	// Update with a no-op function returns the fold of the events.
	folded, err := store.Update(ctx, p.ID, func(*domain.Payout) error { return nil })
	require.NoError(t, err)
	readModel, err := store.Get(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, folded, readModel)
	assert.Equal(t, int64(5), readModel.Version)
	assert.True(t, readModel.Announced)
	assert.Equal(t, live.AcceptedAt, readModel.AcceptedAt)
	assert.Equal(t, t0.Add(4*time.Second), readModel.UpdatedAt)
}
