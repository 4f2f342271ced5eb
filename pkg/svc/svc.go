// Package svc is the frame every service runs in: what a service's Run receives (Deps),
// how every Run ends (Serve: requests, background tasks, the public HTTP API, health and
// metrics, in one order of start and stop), and what every standalone main.go does
// (Main: configuration, logger, NATS, run until a signal). The one-process mode builds
// the same Deps and calls the same Run functions.
package svc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/logx"
	"github.com/mimiron/mgm/pkg/natsx"
)

// Deps is everything a service's Run needs from outside.
type Deps struct {
	Config config.Config
	Log    *zap.Logger
	NC     *nats.Conn
	JS     jetstream.JetStream
	// Listener, for services that serve a public HTTP API: when nil they listen on
	// their configured address. The one-process mode and tests pass 127.0.0.1:0
	// listeners.
	Listener net.Listener
	// Ops, when set, is where the service answers /healthz, /readyz and /metrics.
	Ops net.Listener
	// Metrics is the registry the service's metrics are registered with and /metrics
	// serves; nil gives the service a registry of its own.
	Metrics *prometheus.Registry
	// Now is the clock; nil means time.Now. Tests pass a controllable one.
	Now func() time.Time
	// Consumers tracks the service's durable consumers (built on Bus) for readiness;
	// WithDefaults creates it.
	Consumers *natsx.Attachments
}

// Clock returns d.Now or time.Now.
func (d Deps) Clock() func() time.Time {
	if d.Now != nil {
		return d.Now
	}
	return time.Now
}

// Logger returns d.Log, or a logger that discards.
func (d Deps) Logger() *zap.Logger {
	if d.Log != nil {
		return d.Log
	}
	return zap.NewNop()
}

// Bus is what the service's JetStream consumers need (natsx.Durable): JetStream, the
// logger and the metrics registry.
func (d Deps) Bus() natsx.Bus {
	b := natsx.Bus{JS: d.JS, Log: d.Logger(), Attached: d.Consumers}
	if d.Metrics != nil {
		b.Metrics = d.Metrics
	}
	return b
}

// WithDefaults fills what a Run may leave unset (a logger, a metrics registry), so the
// Run and its Serve share them.
func (d Deps) WithDefaults() Deps {
	d.Log = d.Logger()
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if d.Consumers == nil {
		d.Consumers = &natsx.Attachments{}
	}
	return d
}

// RunFunc is a service's entry point; it blocks until ctx ends or the service fails.
type RunFunc func(ctx context.Context, d Deps) error

// Main is the whole of a standalone service's main — with arguments, one of the common
// commands (TryCommand: dead letters, health check) — otherwise config from the environment,
// logger, NATS (NATS_URL, required), the ops listener (MGM_OPS_ADDR, when set), a
// metrics registry with the Go runtime's collectors, then run until SIGINT/SIGTERM.
func Main(name string, run RunFunc) {
	if len(os.Args) > 1 {
		code, ok := TryCommand(name, os.Args[1:], os.Stdout, os.Stderr)
		if !ok {
			fmt.Fprintf(os.Stderr, "usage:\n  %[1]s                      run the service (NATS_URL, DATABASE_URL, …)\n"+CommandUsage+"\n", name)
			code = 2
		}
		os.Exit(code)
	}
	if err := mainErr(name, run); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func mainErr(name string, run RunFunc) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log, err := logx.New(cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	log = log.With(zap.String("service", name))
	if cfg.NATSURL == "" {
		return fmt.Errorf("NATS_URL is required when a service runs alone (or use the one-process mode: make run)")
	}
	nc, js, err := natsx.Dial(cfg.NATSURL, "mgm-"+name, cfg.NATSReplicas)
	if err != nil {
		return err
	}
	defer nc.Close()
	d := Deps{Config: cfg, Log: log, NC: nc, JS: js, Metrics: NewRegistry()}
	if cfg.OpsAddr != "" {
		if d.Ops, err = net.Listen("tcp", cfg.OpsAddr); err != nil {
			return fmt.Errorf("ops listener (MGM_OPS_ADDR): %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting")
	return run(ctx, d)
}

// NewRegistry is a metrics registry with the Go runtime's and the process's collectors,
// what a standalone service's /metrics serves besides its own metrics.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}
