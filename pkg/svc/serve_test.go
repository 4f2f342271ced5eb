package svc_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
