package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/payout/domain"
	"github.com/mimiron/mgm/services/payout/internal/testkit"
)

// The repository contract (app.Repository) against PostgreSQL: Create and Update run
// the domain's function in a transaction under the owner's lock, so concurrent changes
// of one payout — from this process or another replica — apply one after the other.

var t0 = testkit.T0

func create(t *testing.T, db *testkit.DB, cycle, user string) *domain.Payout {
	t.Helper()
	req := testkit.NewPayout(cycle, user, "Norinn")
	p, err := db.Create(context.Background(), req, func(existing *domain.Payout, h domain.Holder) (*domain.Payout, error) {
		p, _, err := domain.Create(existing, h, fmt.Sprintf("00000000-0000-4000-8000-%012d", len(cycle)*1000+len(user)), req, t0)
		return p, err
	})
	require.NoError(t, err)
	return p
}

func TestUpdate_ConcurrentChangesFromTwoReplicasApplyOneAfterTheOther(t *testing.T) {
	t.Parallel()
	db := testkit.Store(t)
	other := testkit.Open(t, db.URL)
	p := create(t, db, "c1", "u1")
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := db.Postgres
			if i%2 == 1 {
				repo = other.Postgres
			}
			// Each change toggles Pending ↔ InProgress: it depends on the state it loads.
			_, err := repo.Update(context.Background(), p.ID, func(p *domain.Payout) error {
				to := domain.InProgress
				if p.Status == domain.InProgress {
					to = domain.Pending
				}
				return p.ChangeStatus(to, domain.ByClient, t0.Add(time.Minute))
			})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	got, err := db.Get(context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(1+n), got.Version, "every change saw the one before it")
	assert.Equal(t, domain.Pending, got.Status, "an even number of toggles")
	var versions []int64
	rows, err := db.SQL.Query(context.Background(), `SELECT version FROM payout_events WHERE payout_id = $1 ORDER BY version`, p.ID)
	require.NoError(t, err)
	for rows.Next() {
		var v int64
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	require.Len(t, versions, 1+n)
	for i, v := range versions {
		assert.Equal(t, int64(i+1), v, "versions are contiguous")
	}
}

func TestUpdate_AFailingFunctionStoresNothing(t *testing.T) {
	t.Parallel()
	db := testkit.Store(t)
	p := create(t, db, "c1", "u1")
	_, err := db.Update(context.Background(), p.ID, func(p *domain.Payout) error {
		require.NoError(t, p.ChangeStatus(domain.InProgress, domain.ByClient, t0))
		return errors.New("changed my mind")
	})
	require.Error(t, err)
	got, err := db.Get(context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.Pending, got.Status)
	assert.Equal(t, int64(1), got.Version)
	assert.Equal(t, 1, db.Unpublished(t), "no event was appended")
}

func TestUpdate_UnknownPayoutIsNotFound(t *testing.T) {
	t.Parallel()
	db := testkit.Store(t)
	_, err := db.Update(context.Background(), "00000000-0000-4000-8000-000000000000", func(*domain.Payout) error { return nil })
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))
}

func TestCreate_ConcurrentCreatesOfOneCycleMakeOnePayout(t *testing.T) {
	t.Parallel()
	db := testkit.Store(t)
	other := testkit.Open(t, db.URL)
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := db.Postgres
			if i%2 == 1 {
				repo = other.Postgres
			}
			req := testkit.NewPayout("c1", "u1", "Norinn")
			p, err := repo.Create(context.Background(), req, func(existing *domain.Payout, h domain.Holder) (*domain.Payout, error) {
				p, _, err := domain.Create(existing, h, fmt.Sprintf("00000000-0000-4000-8000-%012d", i), req, t0)
				return p, err
			})
			if assert.NoError(t, err) {
				ids[i] = p.ID
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "every create of the cycle answers the same payout")
	}
	var n int
	require.NoError(t, db.SQL.QueryRow(context.Background(), `SELECT count(*) FROM payouts`).Scan(&n))
	assert.Equal(t, 1, n)
}
