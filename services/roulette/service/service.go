// Package service is the roulette's Run: the scheduler that draws one candidate per
// UTC spin boundary (one draw however many replicas run), and the Desktop's candidate
// and verify-candidate requests. main.go and the one-process mode both start it.
package service

import (
	"context"
	"github.com/prometheus/client_golang/prometheus"

	"go.uber.org/zap"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/roulette/adapters"
	"github.com/mimiron/mgm/services/roulette/app"
	"github.com/mimiron/mgm/services/roulette/ports"
)

// Run serves the roulette until ctx ends.
func Run(ctx context.Context, d svc.Deps) error {
	d = d.WithDefaults()
	a, pool, err := build(ctx, d)
	if err != nil {
		return err
	}
	defer pool.Close()
	d.Log.Info("roulette running", zap.Duration("spinInterval", d.Config.SpinInterval))
	return svc.Serve(ctx, d, svc.Parts{
		Queue:    ports.Queue,
		Handlers: ports.Handlers(a),
		DB:       pool,
		Tasks:    []svc.Task{a.Loop},
	})
}

// Build opens the database, the stream and the KV bucket and wires the app; close
// releases the database. Tests use it to drive Tick with their own clock.
func Build(ctx context.Context, d svc.Deps) (*app.Service, func(), error) {
	a, pool, err := build(ctx, d.WithDefaults())
	if err != nil {
		return nil, nil, err
	}
	return a, pool.Close, nil
}

func build(ctx context.Context, d svc.Deps) (*app.Service, *pgxpool.Pool, error) {
	pool, err := adapters.Schema.Open(ctx, d.Config.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamRoulette); err != nil {
		pool.Close()
		return nil, nil, err
	}
	kv, err := natsx.StateBucket(ctx, d.JS)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	repo := adapters.New(pool)
	relay := outbox.NewRelay("roulette relay", outbox.Mapped(repo.RelayBatch, ports.Envelope, outbox.JetStream(d.JS, false)), d.Log, 0).WithMetrics(d.Metrics)
	a := app.New(
		repo,
		adapters.PoolClient{NC: d.NC},
		adapters.PayoutClient{NC: d.NC, Timeout: d.Config.RPCTimeout},
		adapters.Snapshots{KV: kv, Wire: ports.Snapshot},
		relay,
		d.Config.SpinInterval,
		d.Clock(),
		d.Log,
	)
	a.DrawTimeout = d.Config.RPCTimeout
	if d.Metrics != nil {
		cycles := natsx.Register(d.Metrics, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mgm_roulette_cycles_total",
			Help: "Spin cycles by what this replica decided: drawn, empty, missed, winner, offline, no_report.",
		}, []string{"outcome"}))
		a.Counted = func(outcome string, n int) { cycles.WithLabelValues(outcome).Add(float64(n)) }
	}
	return a, pool, nil
}
