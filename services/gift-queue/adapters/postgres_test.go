package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/gift-queue/adapters"
	"github.com/mimiron/mgm/services/gift-queue/app"
	"github.com/mimiron/mgm/services/gift-queue/domain"
	"github.com/mimiron/mgm/services/gift-queue/ports"
)

// The repository contract (app.Repository) against PostgreSQL: every change of a
// streamer's queue runs under that queue's lock, so replicas creating requests at once
// still serve one request at a time.

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func repo(t *testing.T, url string) *adapters.Postgres {
	t.Helper()
	pool, err := adapters.Schema.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return adapters.New(pool, ports.EncodeChange)
}

func create(r *adapters.Postgres, user string) (app.CreateResult, error) {
	id := uuid.NewString()
	return r.Create(context.Background(), "s1", user, app.Key{}, func(q *domain.Queue, used bool) (*domain.Request, error) {
		return q.Create(domain.NewRequest{ID: id, TwitchUserID: user, CharacterName: "Norinn", Source: shared.GiftSourceAPI}, used, t0)
	})
}

func TestCreate_ConcurrentReplicasServeOneRequestAtATime(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	a, b := repo(t, url), repo(t, url)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := a
			if i%2 == 1 {
				r = b
			}
			_, err := create(r, fmt.Sprint("u", i))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	open, err := a.Open(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, open, 10)
	served := 0
	for _, r := range open {
		if r.Status.Active() {
			served++
		}
	}
	assert.Equal(t, 1, served, "one request is served, the others wait")
}

func TestUpdate_AFailingFunctionStoresNothing(t *testing.T) {
	t.Parallel()
	r := repo(t, testenv.Postgres(t))
	res, err := create(r, "u1")
	require.NoError(t, err)
	_, _, err = r.Update(context.Background(), "s1", res.Request.ID, func(q *domain.Queue, req *domain.Request) error {
		require.NoError(t, q.SetStatus(req, domain.Failed, "", t0))
		return errors.New("changed my mind")
	})
	require.Error(t, err)
	got, err := r.Get(context.Background(), res.Request.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.SelectingItem, got.Status)
}
