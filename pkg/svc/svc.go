// Package svc is what every service's Run receives and what every standalone main.go
// does: read the configuration, build the logger, connect to NATS, run until a signal.
// The one-process mode builds the same Deps and calls the same Run functions.
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
	// Listener, for services that serve HTTP: when nil they listen on their configured
	// address. The one-process mode and tests pass 127.0.0.1:0 listeners.
	Listener net.Listener
	// Now is the clock; nil means time.Now. Tests pass a controllable one.
	Now func() time.Time
}

// Clock returns d.Now or time.Now.
func (d Deps) Clock() func() time.Time {
	if d.Now != nil {
		return d.Now
	}
	return time.Now
}

// RunFunc is a service's entry point; it blocks until ctx ends or the service fails.
type RunFunc func(ctx context.Context, d Deps) error

// Main is the whole of a standalone service's main: config from the environment,
// logger, NATS (NATS_URL, required), then run until SIGINT/SIGTERM.
func Main(name string, run RunFunc) {
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
	nc, err := natsx.Connect(cfg.NATSURL, "mgm-"+name)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	js = natsx.WithReplicas(js, cfg.NATSReplicas)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting")
	return run(ctx, Deps{Config: cfg, Log: log, NC: nc, JS: js})
}
