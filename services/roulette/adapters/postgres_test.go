package adapters_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/roulette/adapters"
	"github.com/mimiron/mgm/services/roulette/domain"
)

// The repository contract (app.Repository) against PostgreSQL: a boundary's cycle is
// drawn by exactly one of the replicas that tick it, and changes of one cycle apply one
// after the other.

var b0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func repos(t *testing.T, n int) []*adapters.Postgres {
	t.Helper()
	url := testenv.Postgres(t)
	var out []*adapters.Postgres
	for range n {
		pool, err := adapters.Schema.Open(context.Background(), url)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		out = append(out, adapters.New(pool))
	}
	return out
}

func TestDrawPending_ReplicasTickingOneBoundaryDrawItOnce(t *testing.T) {
	t.Parallel()
	rs := repos(t, 3)
	c := domain.NewCycle(b0, 5*time.Minute)
	require.NoError(t, rs[0].EnsureCycle(context.Background(), c))
	require.NoError(t, rs[1].EnsureCycle(context.Background(), c), "ensuring again is harmless")
	var draws atomic.Int32
	var wg sync.WaitGroup
	for i := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := rs[i%3].DrawPending(context.Background(), c.ID, func(c *domain.Cycle) error {
				draws.Add(1)
				time.Sleep(20 * time.Millisecond) // the pool request, with the lock held
				return c.RecordDraw(&domain.Candidate{TwitchUserID: "u1", CharacterName: "Norinn"}, 3, b0.Add(time.Second))
			})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), draws.Load())
}

func TestUpdateCycle_ConcurrentReportsSeeEachOther(t *testing.T) {
	t.Parallel()
	rs := repos(t, 2)
	ctx := context.Background()
	c := domain.NewCycle(b0, 5*time.Minute)
	require.NoError(t, rs[0].EnsureCycle(ctx, c))
	_, err := rs[0].DrawPending(ctx, c.ID, func(c *domain.Cycle) error {
		return c.RecordDraw(&domain.Candidate{TwitchUserID: "u1", CharacterName: "Norinn"}, 1, b0)
	})
	require.NoError(t, err)
	var completed atomic.Int32
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := rs[i%2].UpdateCycle(ctx, c.ID, func(c *domain.Cycle) (bool, error) {
				if c.Outcome != "" {
					return false, nil // a repeat sees the first report's outcome
				}
				completed.Add(1)
				return true, c.CompleteOffline(b0.Add(time.Minute))
			})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), completed.Load())
	_, err = rs[0].UpdateCycle(ctx, "00000000-0000-4000-8000-000000000000", func(*domain.Cycle) (bool, error) { return false, nil })
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))
}
