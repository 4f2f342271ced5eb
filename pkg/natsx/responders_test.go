package natsx_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

func TestServe_AnswersEverySubjectAndStopWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, _ := testenv.Conn(t, url)
	release := make(chan struct{})
	var finished atomic.Bool
	r, err := natsx.Serve(nc, "t", 0, testenv.Logger(t), map[string]natsx.Handler{
		"t.a": func(context.Context, []byte) (any, error) { return echoReq{"a"}, nil },
		"t.slow": func(context.Context, []byte) (any, error) {
			<-release
			finished.Store(true)
			return echoReq{"slow"}, nil
		},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	var out echoReq
	require.NoError(t, natsx.Call(ctx, nc, "t.a", struct{}{}, &out))
	assert.Equal(t, "a", out.Name)

	slow := make(chan error, 1)
	go func() { slow <- natsx.Call(ctx, nc, "t.slow", struct{}{}, &echoReq{}) }()
	testenv.Eventually(t, 2*time.Second, func() bool { return r.InFlight() == 1 }, "slow request never arrived")

	stopped := make(chan struct{})
	go func() { r.Stop(5 * time.Second); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a request was still being handled")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-stopped
	assert.True(t, finished.Load())
	assert.NoError(t, <-slow, "the request in flight is answered")

	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	assert.Equal(t, errs.Unavailable, errs.CodeOf(natsx.Call(short, nc, "t.a", struct{}{}, nil)), "no longer served")
}

// A request whose PostgreSQL is out of reach — here a real database that stops taking
// connections, as during a restart — is answered 503 unavailable, to be tried again,
// not 500 internal; a fault of the query itself stays internal.
func TestServe_ADatabaseOutOfReachIsUnavailableNotInternal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbURL := testenv.Postgres(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	dbName := strings.TrimPrefix(u.Path, "/")
	admin, err := pgx.Connect(ctx, strings.Replace(dbURL, "/"+dbName, "/postgres", 1))
	require.NoError(t, err)
	defer admin.Close(context.Background())
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer pool.Close()

	_, natsURL := testenv.NATS(t)
	nc, _ := testenv.Conn(t, natsURL)
	r, err := natsx.Serve(nc, "t", 5*time.Second, testenv.Logger(t), map[string]natsx.Handler{
		"t.read": func(ctx context.Context, _ []byte) (any, error) {
			var n int
			return n, pool.QueryRow(ctx, "SELECT 1").Scan(&n)
		},
		"t.bug": func(ctx context.Context, _ []byte) (any, error) {
			_, err := pool.Exec(ctx, "SELECT FROM no_such_table")
			return nil, err
		},
	})
	require.NoError(t, err)
	defer r.Stop(time.Second)

	require.NoError(t, natsx.Call(ctx, nc, "t.read", struct{}{}, nil))
	assert.Equal(t, errs.Internal, errs.CodeOf(natsx.Call(ctx, nc, "t.bug", struct{}{}, nil)), "a query that cannot work is ours")

	_, err = admin.Exec(ctx, "ALTER DATABASE "+dbName+" ALLOW_CONNECTIONS false")
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", dbName)
	require.NoError(t, err)
	for i := 0; i < 3; i++ { // a connection cut mid-pool, then no new connection
		err = natsx.Call(ctx, nc, "t.read", struct{}{}, nil)
		assert.Equal(t, errs.Unavailable, errs.CodeOf(err), "try %d: %v", i, err)
	}
	_, err = admin.Exec(ctx, "ALTER DATABASE "+dbName+" ALLOW_CONNECTIONS true")
	require.NoError(t, err)
	testenv.Eventually(t, 10*time.Second, func() bool { return natsx.Call(ctx, nc, "t.read", struct{}{}, nil) == nil }, "answers again")
}
