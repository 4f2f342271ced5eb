package svc_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
)

func deps(t *testing.T) svc.Deps {
	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	return svc.Deps{Config: config.Defaults(), Log: testenv.Logger(t), NC: nc, JS: js}
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

func TestServe_AFailingTaskEndsEveryTaskAndIsReturned(t *testing.T) {
	t.Parallel()
	d := deps(t)
	boom := errors.New("consumer gone")
	var ready, loopEnded atomic.Bool
	err := svc.Serve(context.Background(), d, svc.Parts{
		Queue:    "t",
		Handlers: map[string]natsx.Handler{"t.ping": func(context.Context, []byte) (any, error) { return "pong", nil }},
		OnReady:  func() { ready.Store(true) },
		Tasks: []svc.Task{
			svc.Loop(func(ctx context.Context) { <-ctx.Done(); loopEnded.Store(true) }),
			func(context.Context) error { time.Sleep(50 * time.Millisecond); return boom },
		},
	})
	assert.ErrorIs(t, err, boom)
	assert.True(t, ready.Load())
	assert.True(t, loopEnded.Load(), "Serve waits for every task")
	err = natsx.Call(context.Background(), d.NC, "t.ping", struct{}{}, nil)
	assert.Error(t, err, "the responders are stopped")
}

func TestServe_EndsWithoutErrorWhenCtxEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := svc.Serve(ctx, deps(t), svc.Parts{
		Tasks: []svc.Task{func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	})
	assert.NoError(t, err, "an error after ctx ended is not a failure")
}

func TestServe_BoundsEveryRequestByTheRPCTimeout(t *testing.T) {
	t.Parallel()
	d := deps(t)
	d.Config.RPCTimeout = 150 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- svc.Serve(ctx, d, svc.Parts{Queue: "t", OnReady: func() { close(ready) }, Handlers: map[string]natsx.Handler{
			"t.deadline": func(ctx context.Context, _ []byte) (any, error) {
				dl, ok := ctx.Deadline()
				return ok && time.Until(dl) <= 150*time.Millisecond, nil
			},
		}})
	}()
	<-ready
	var bounded bool
	require.NoError(t, natsx.Call(context.Background(), d.NC, "t.deadline", struct{}{}, &bounded))
	assert.True(t, bounded, "the handler's context ends with the RPC timeout")
	cancel()
	require.NoError(t, <-done)
}

func TestServe_LetsHTTPRequestsInFlightFinishOnTheWayOut(t *testing.T) {
	t.Parallel()
	d := deps(t)
	d.Listener = listen(t)
	entered, release := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- svc.Serve(ctx, d, svc.Parts{HTTP: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			close(entered)
			<-release
			_, _ = io.WriteString(w, "finished")
		})})
	}()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + d.Listener.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-entered
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	assert.Equal(t, "finished", <-got)
	require.NoError(t, <-done)
}

func TestOps_HealthReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	d := deps(t)
	d.Ops = listen(t)
	d.Metrics = prometheus.NewRegistry()
	served := prometheus.NewCounter(prometheus.CounterOpts{Name: "mgm_test_things_total", Help: "Things."})
	d.Metrics.MustRegister(served)
	served.Add(3)
	var feedLive atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- svc.Serve(ctx, d, svc.Parts{Ready: []svc.Check{func(context.Context) error {
			if !feedLive.Load() {
				return errs.E(errs.Unavailable, "state feed not live")
			}
			return nil
		}}})
	}()
	base := "http://" + d.Ops.Addr().String()
	get := func(path string) (int, string) {
		var (
			resp *http.Response
			err  error
		)
		testenv.Eventually(t, 5*time.Second, func() bool { resp, err = http.Get(base + path); return err == nil }, "ops listener: %v", err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, _ := get("/healthz")
	assert.Equal(t, http.StatusOK, code)
	code, body := get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	var e errs.Error
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	assert.Equal(t, errs.Unavailable, e.Code)
	assert.Equal(t, "state feed not live", e.Message)
	feedLive.Store(true)
	code, _ = get("/readyz")
	assert.Equal(t, http.StatusOK, code)
	d.NC.Close()
	code, _ = get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "not ready without NATS")
	code, body = get("/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, strings.Contains(body, "mgm_test_things_total 3"), body)

	cancel()
	require.NoError(t, <-done)
}

// Readiness means the service can work (issue 14, "What operators expect"): its NATS
// connected, its PostgreSQL answering — here a real database that stops taking
// connections and comes back — and its durable consumers attached.
func TestOps_ReadinessFollowsPostgreSQLAndTheConsumers(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
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

	d := deps(t)
	d.Ops = listen(t)
	d.Consumers = &natsx.Attachments{}
	attached := d.Consumers.Expect()
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, d, svc.Parts{DB: pool}) }()
	base := "http://" + d.Ops.Addr().String()
	readyz := func() (int, errs.Error) {
		var e errs.Error
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return 0, e
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &e)
		return resp.StatusCode, e
	}
	var (
		code int
		body errs.Error
	)
	testenv.Eventually(t, 5*time.Second, func() bool { code, body = readyz(); return code != 0 }, "ops listener")
	assert.Equal(t, http.StatusServiceUnavailable, code, "a consumer not attached yet")
	assert.Contains(t, body.Message, "not attached")
	attached()
	code, _ = readyz()
	assert.Equal(t, http.StatusOK, code)

	// PostgreSQL stops taking connections for this database; the pool's are cut.
	_, err = admin.Exec(ctx, "ALTER DATABASE "+dbName+" ALLOW_CONNECTIONS false")
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", dbName)
	require.NoError(t, err)
	testenv.Eventually(t, 10*time.Second, func() bool { code, body = readyz(); return code == http.StatusServiceUnavailable }, "ready without PostgreSQL")
	assert.Equal(t, errs.Unavailable, body.Code)
	assert.Contains(t, body.Message, "PostgreSQL")
	code, _ = readyz()
	assert.Equal(t, http.StatusServiceUnavailable, code, "still not ready")

	_, err = admin.Exec(ctx, "ALTER DATABASE "+dbName+" ALLOW_CONNECTIONS true")
	require.NoError(t, err)
	testenv.Eventually(t, 10*time.Second, func() bool { code, _ = readyz(); return code == http.StatusOK }, "ready again once PostgreSQL answers")
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "alive all along")

	cancel()
	require.NoError(t, <-done)
}
