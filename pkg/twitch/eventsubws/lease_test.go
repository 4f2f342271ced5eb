package eventsubws_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsubws"
)

func TestPGLease_OneHolderAtATimeAndAStandbyTakesOver(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	var holding, maxHolding atomic.Int32
	var holders sync.Map
	run := func(name string) (stop func()) {
		pool, err := pgxpool.New(context.Background(), url)
		require.NoError(t, err)
		l := &eventsubws.PGLease{Pool: pool, Name: "eventsub-ws", Poll: 50 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = l.Run(ctx, func(ctx context.Context) {
				n := holding.Add(1)
				for m := maxHolding.Load(); n > m && !maxHolding.CompareAndSwap(m, n); m = maxHolding.Load() {
				}
				holders.Store(name, true)
				<-ctx.Done()
				holders.Delete(name)
				holding.Add(-1)
			})
		}()
		return func() { cancel(); <-done; pool.Close() }
	}
	stopA := run("a")
	testenv.Eventually(t, 10*time.Second, func() bool { return holding.Load() == 1 }, "a takes the lease")
	stopB := run("b")
	defer stopB()
	time.Sleep(300 * time.Millisecond)
	_, aHolds := holders.Load("a")
	assert.True(t, aHolds)
	_, bHolds := holders.Load("b")
	assert.False(t, bHolds, "b stands by")

	stopA()
	testenv.Eventually(t, 10*time.Second, func() bool { _, ok := holders.Load("b"); return ok }, "b takes over")
	assert.EqualValues(t, 1, maxHolding.Load(), "never two holders")
}

func TestPGLease_LosingTheDatabaseConnectionEndsTheWork(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()
	l := &eventsubws.PGLease{Pool: pool, Name: "eventsub-ws", Poll: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs atomic.Int32
	ended := make(chan struct{}, 4)
	go func() {
		_ = l.Run(ctx, func(ctx context.Context) {
			runs.Add(1)
			<-ctx.Done()
			ended <- struct{}{}
		})
	}()
	testenv.Eventually(t, 10*time.Second, func() bool { return runs.Load() == 1 }, "the lease is taken")
	_, err = pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	require.NoError(t, err)
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the work went on without the lease")
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return runs.Load() == 2 }, "the lease is taken again on a new connection")
}
