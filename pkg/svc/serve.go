package svc

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/natsx"
)

// Task is a background loop of a service (relay, sweep, consumer). It returns when ctx
// ends; an error it returns before that ends the service.
type Task func(ctx context.Context) error

// Loop is the Task of a loop that cannot fail.
func Loop(run func(context.Context)) Task {
	return func(ctx context.Context) error { run(ctx); return nil }
}

// Every is the task of a periodic job: run now and then every interval until ctx ends.
// A failure is logged once, and again only after a run worked in between.
func Every(interval time.Duration, log *zap.Logger, what string, run func(ctx context.Context) error) Task {
	return func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		failing := false
		for {
			err := run(ctx)
			switch {
			case err != nil && ctx.Err() == nil && !failing:
				log.Error(what+" failed", zap.Error(err))
				failing = true
			case err == nil:
				failing = false
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}

// Check is one readiness condition; nil means ready.
type Check func(ctx context.Context) error

// Pinger is a database Serve checks for readiness (*pgxpool.Pool).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Parts is what a service's Run built and hands to Serve.
type Parts struct {
	// Queue and Handlers are the service's request/reply handlers (core NATS, one queue
	// group shared by the replicas), each bounded by the RPC timeout.
	Queue    string
	Handlers map[string]natsx.Handler
	// HTTP is the service's public HTTP API, served on Deps.Listener or, when that is
	// nil, on Addr.
	HTTP http.Handler
	Addr string
	// Tasks run until the service stops (consumers, relays, sweeps, watchers).
	Tasks []Task
	// DB is the service's PostgreSQL; readiness needs it to answer.
	DB Pinger
	// Ready lists further readiness conditions (NATS connected, and DB when set, are
	// always checked).
	Ready []Check
	// OnReady, when set, is called once the service answers requests (tests use it to
	// wait for one particular replica).
	OnReady func()
}

// ShutdownGrace bounds how long Serve waits for requests in flight on the way out.
const ShutdownGrace = 5 * time.Second

// Serve is the end of every service's Run. It subscribes the handlers and binds the
// HTTP listener, flushes NATS (so the server has the subscriptions before the service
// calls itself ready), serves /healthz, /readyz and /metrics on Deps.Ops, calls OnReady,
// and runs the HTTP server and every task until ctx ends or one of them fails. On the
// way out it stops taking HTTP requests and NATS requests first — those already
// received finish while the tasks (a relay publishing their events) still run —, then
// ends the tasks and waits for them, so the caller may close its store. It returns the
// first failure; an error a task returns after ctx ended is not one.
func Serve(ctx context.Context, d Deps, p Parts) error {
	d = d.WithDefaults()
	log := d.Log
	responders, err := natsx.Serve(d.NC, p.Queue, d.Config.RPCTimeout, log, p.Handlers, natsx.ServeMetrics(d.Metrics))
	if err != nil {
		return err
	}
	defer responders.Stop(ShutdownGrace)
	var srv *http.Server
	ln := d.Listener
	if p.HTTP != nil {
		if ln == nil {
			if ln, err = net.Listen("tcp", p.Addr); err != nil {
				return fmt.Errorf("listen %s: %w", p.Addr, err)
			}
		}
		srv = &http.Server{
			Handler:           instrumentHTTP(d.Metrics, p.HTTP),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          zap.NewStdLog(log.Named("http")),
			// "OPTIONS *" goes to the routes like every other request (their standard
			// error body), not to net/http's own empty 200 before any handler.
			DisableGeneralOptionsHandler: true,
		}
	}
	if d.NC != nil {
		if err := d.NC.FlushTimeout(5 * time.Second); err != nil {
			log.Warn("flush after subscribing", zap.Error(err))
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	fail := func(err error) {
		select {
		case errc <- err:
		default: // another part failed first
		}
	}
	tasks := p.Tasks
	if d.Ops != nil {
		tasks = append(tasks, opsTask(d, p))
	}
	for _, task := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := task(ctx); err != nil && ctx.Err() == nil {
				fail(err)
			}
		}()
	}
	served := make(chan struct{})
	if srv != nil {
		go func() {
			defer close(served)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("serve http: %w", err))
			}
		}()
		log.Info("listening", zap.String("addr", ln.Addr().String()))
	} else {
		close(served)
	}
	if p.OnReady != nil {
		p.OnReady()
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	if srv != nil {
		sctx, stop := context.WithTimeout(context.Background(), ShutdownGrace)
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && runErr == nil {
			runErr = fmt.Errorf("http shutdown: %w", err)
		}
		stop()
		<-served
	}
	responders.Stop(ShutdownGrace)
	cancel()
	wg.Wait()
	return runErr
}

// Readiness reports whether the service can do its work now: NATS connected, the
// database answering, and every further check of p.
func Readiness(ctx context.Context, d Deps, p Parts) error {
	if d.NC != nil && !d.NC.IsConnected() {
		return errs.E(errs.Unavailable, "NATS not connected")
	}
	if p.DB != nil {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := p.DB.Ping(pctx); err != nil {
			return errs.Wrap(errs.Unavailable, err, "PostgreSQL not answering")
		}
	}
	if err := d.Consumers.Ready(ctx); err != nil {
		return err
	}
	for _, c := range p.Ready {
		if err := c(ctx); err != nil {
			return err
		}
	}
	return nil
}

// OpsHandler answers GET /healthz (the process is up), GET /readyz (Readiness: 200 or
// 503 with the error body of docs/product.md §6), GET /metrics (d.Metrics in the
// Prometheus text format) and GET /debug/vars (expvar).
func OpsHandler(d Deps, p Parts) http.Handler {
	d = d.WithDefaults()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := Readiness(r.Context(), d, p); err != nil {
			pub := errs.Public(err)
			writeJSON(w, errs.HTTPStatus(pub.Code), pub)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Metrics, promhttp.HandlerOpts{Registry: d.Metrics}))
	mux.Handle("GET /debug/vars", expvar.Handler())
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// opsTask serves OpsHandler on d.Ops until ctx ends.
func opsTask(d Deps, p Parts) Task {
	return func(ctx context.Context) error {
		srv := &http.Server{Handler: OpsHandler(d, p), ReadHeaderTimeout: 5 * time.Second, DisableGeneralOptionsHandler: true}
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		if err := srv.Serve(d.Ops); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("ops listener: %w", err)
		}
		return nil
	}
}

// instrumentHTTP counts and times the public HTTP API's requests by method
// (mgm_http_requests_total, mgm_http_request_duration_seconds). It does not wrap the
// ResponseWriter: http.MaxBytesReader and the gateway's EventSub proxy need the
// server's own (a wrapper hides the "request too large" signal, and the connection is
// then reset under a client still sending); statuses are counted where the routes are
// known (the gateway by route, ingest by refusal code).
func instrumentHTTP(reg prometheus.Registerer, h http.Handler) http.Handler {
	if reg == nil {
		return h
	}
	requests := natsx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mgm_http_requests_total", Help: "Public HTTP requests answered, by method.",
	}, []string{"method"}))
	seconds := natsx.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mgm_http_request_duration_seconds", Help: "Time to answer a public HTTP request, by method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method"}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		m := methodLabel(r.Method)
		requests.WithLabelValues(m).Inc()
		seconds.WithLabelValues(m).Observe(time.Since(start).Seconds())
	})
}

// methodLabel keeps the label's values few whatever a client sends.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
