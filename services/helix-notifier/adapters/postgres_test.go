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
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/helix-notifier/adapters"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// The repository contract (app.Repository) against PostgreSQL: Update is a transaction
// around the domain's function, serialised per announcement.

func repo(t *testing.T) *adapters.Postgres {
	t.Helper()
	pool, err := adapters.Schema.Open(context.Background(), testenv.Postgres(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return adapters.New(pool)
}

var t0 = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)

func claim(r *adapters.Postgres, payoutID, worker string) (bool, *domain.Announcement, error) {
	claimed := false
	a, err := r.Update(context.Background(), payoutID, domain.NewAnnouncement(payoutID, "Артас", t0),
		func(a *domain.Announcement) error { claimed = a.Claim(worker, t0); return nil })
	return claimed, a, err
}

func TestUpdate_ConcurrentClaimsOfANewPayoutHaveOneWinner(t *testing.T) {
	t.Parallel()
	r := repo(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			claimed, _, err := claim(r, "p1", fmt.Sprintf("w%d", i))
			assert.NoError(t, err)
			if claimed {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, winners)
	a, err := r.Get(context.Background(), "p1")
	require.NoError(t, err)
	assert.Equal(t, domain.Posting, a.State)
	assert.Equal(t, 1, a.Attempts, "the losers changed nothing")
}

func TestUpdate_SavesWhatTheFunctionDidAndNothingWhenItFails(t *testing.T) {
	t.Parallel()
	r := repo(t)
	ctx := context.Background()
	_, _, err := claim(r, "p1", "w1")
	require.NoError(t, err)
	_, err = r.Update(ctx, "p1", nil, func(a *domain.Announcement) error {
		require.NoError(t, a.Posted("w1", "m1", t0.Add(time.Second)))
		return errors.New("changed my mind")
	})
	require.Error(t, err)
	a, err := r.Get(ctx, "p1")
	require.NoError(t, err)
	assert.Equal(t, domain.Posting, a.State, "a failed function saves nothing")

	saved, err := r.Update(ctx, "p1", nil, func(a *domain.Announcement) error { return a.Posted("w1", "m1", t0.Add(time.Second)) })
	require.NoError(t, err)
	got, err := r.Get(ctx, "p1")
	require.NoError(t, err)
	assert.Equal(t, saved, got, "every field reads back as saved")
	assert.Equal(t, domain.Posted, got.State)
	assert.Equal(t, "m1", got.MessageID)
	assert.Equal(t, "Награда отправлена персонажу Артас на почту, проверяй ящик!", got.Message)
}

func TestUpdate_WithoutCreateAnUnknownPayoutIsNotFound(t *testing.T) {
	t.Parallel()
	r := repo(t)
	_, err := r.Update(context.Background(), "nope", nil, func(*domain.Announcement) error { return nil })
	assert.True(t, errs.Has(err, errs.NotFound))
	_, err = r.Get(context.Background(), "nope")
	assert.True(t, errs.Has(err, errs.NotFound))
}

func TestUnsettled_ListsEverythingButPostedOldestChangeFirst(t *testing.T) {
	t.Parallel()
	r := repo(t)
	ctx := context.Background()
	for i, id := range []string{"p1", "p2", "p3"} {
		at := t0.Add(time.Duration(3-i) * time.Minute)
		_, err := r.Update(ctx, id, domain.NewAnnouncement(id, "Артас", at), func(a *domain.Announcement) error {
			a.Claim("w", at)
			return nil
		})
		require.NoError(t, err)
	}
	_, err := r.Update(ctx, "p2", nil, func(a *domain.Announcement) error { return a.Posted("w", "m", t0) })
	require.NoError(t, err)
	list, err := r.Unsettled(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "p3", list[0].PayoutID)
	assert.Equal(t, "p1", list[1].PayoutID)
}
