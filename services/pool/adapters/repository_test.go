package adapters_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/testenv"

	"github.com/mimiron/mgm/services/pool/adapters"
	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

// The repository contract (app.Repository) against PostgreSQL: every change takes the
// writers' lock, so concurrent batches from two replicas keep names unique, draw slots
// dense and the counters equal to the rows.

func TestEnrollBatch_ConcurrentReplicasKeepNamesUniqueAndSlotsDense(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	open := func() *adapters.Postgres {
		pg, err := adapters.Schema.Open(context.Background(), url)
		require.NoError(t, err)
		t.Cleanup(pg.Close)
		return adapters.New(pg)
	}
	a, b := open(), open()
	names := []string{"Alice", "Bobby", "Carol", "Dave", "Erin", "Frank"}
	var wg sync.WaitGroup
	for r, repo := range []*adapters.Postgres{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var reqs []app.EnrollRequest
			for u := range 20 {
				key := fmt.Sprintf("%d-%d", r, u)
				reqs = append(reqs, chatReq(key, fmt.Sprintf("u%d", u), names[(u+r)%len(names)]))
			}
			_, err := repo.EnrollBatch(context.Background(), reqs)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()

	pg, err := adapters.Schema.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pg.Close)
	var members, distinct, slots, maxSlot int64
	require.NoError(t, pg.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT folded_name), count(slot), coalesce(max(slot), -1) FROM members`).
		Scan(&members, &distinct, &slots, &maxSlot))
	assert.Equal(t, members, distinct, "names are unique")
	assert.Equal(t, slots-1, maxSlot, "slots are dense")
	st, err := a.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, members, st.PoolSize, "the counters are the rows")
	assert.Equal(t, slots, st.EligibleCount)
}

func TestApplyPayout_AnOlderVersionChangesNothing(t *testing.T) {
	t.Parallel()
	_, repo := openRepo(t)
	ctx := context.Background()
	_, err := repo.Enroll(ctx, chatReq("1", "u1", "Alice"))
	require.NoError(t, err)
	at := time.Unix(1_700_000_000, 0).UTC()
	fact := func(status string, version int64) domain.PayoutFact {
		return domain.PayoutFact{EventID: fmt.Sprint("e", version), PayoutID: "p1", TwitchUserID: "u1", Status: status, Version: version, At: at}
	}
	res, err := repo.ApplyPayout(ctx, fact(shared.PayoutInProgress, 2))
	require.NoError(t, err)
	assert.False(t, res.Stale)
	before, err := repo.Stats(ctx)
	require.NoError(t, err)
	res, err = repo.ApplyPayout(ctx, fact(shared.PayoutPending, 1))
	require.NoError(t, err)
	assert.True(t, res.Stale, "version 1 after version 2")
	after, err := repo.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Equal(t, int64(0), after.EligibleCount, "the active payout keeps the member out of the draw")
}

func TestEnroll_RefusalWithoutRememberingStoresNothing(t *testing.T) {
	t.Parallel()
	pg, repo := openRepo(t)
	ctx := context.Background()
	_, err := repo.Enroll(ctx, chatReq("1", "u1", "Alice"))
	require.NoError(t, err)
	claim := app.EnrollRequest{Key: "claim:u2:r1", Member: domain.Member{TwitchUserID: "u2", CharacterName: "ALICE"}, EventID: "x", At: time.Now()}
	_, err = repo.Enroll(ctx, claim)
	assert.Equal(t, errs.CharacterNameTaken, errs.CodeOf(err))
	var n int
	require.NoError(t, pg.QueryRow(ctx, `SELECT count(*) FROM enrollment_requests WHERE request_key = 'claim:u2:r1'`).Scan(&n))
	assert.Zero(t, n, "a refused claim may be retried with the same id")
}
