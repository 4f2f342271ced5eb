// Package service wires the payout service: PostgreSQL schema "payout", the outbox
// relay to JetStream, the RPC handlers (queue group "payout"), the reward-posted
// consumer and the 24-hour expiry sweep. Run is what the standalone binary, the
// one-process mode and the tests start.
package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/payout/adapters"
	"github.com/mimiron/mgm/services/payout/app"
	"github.com/mimiron/mgm/services/payout/ports"
)

// Options tune the background loops; zero values are the production defaults.
type Options struct {
	// SweepInterval is how often the expiry sweep runs (default 5 minutes; docs/product.md
	// asks for at least hourly). It also runs once at start.
	SweepInterval time.Duration
	// RelayInterval is how often the relay polls for events committed elsewhere
	// (default 200 ms); local commits wake it at once.
	RelayInterval time.Duration
	// Ready, when set, is called once the service answers requests (tests use it to
	// wait for one particular replica).
	Ready func()
}

// DefaultSweepInterval is the sweep's production cadence.
const DefaultSweepInterval = 5 * time.Minute

// Run runs the payout service with the default options until ctx ends.
func Run(ctx context.Context, d svc.Deps) error { return RunWith(ctx, d, Options{}) }

// RunWith runs the payout service with opts until ctx ends.
func RunWith(ctx context.Context, d svc.Deps, opts Options) error {
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = DefaultSweepInterval
	}
	log := d.Log
	if log == nil {
		log = zap.NewNop()
	}
	if d.Config.DatabaseURL == "" {
		return errors.New("payout: DATABASE_URL is required")
	}
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamPayout, events.StreamNotify); err != nil {
		return err
	}
	store, err := adapters.Open(ctx, d.Config.DatabaseURL)
	if err != nil {
		return fmt.Errorf("payout: %w", err)
	}
	defer store.Close()

	relay := app.NewRelay(store, adapters.JetStream{JS: d.JS}, log, opts.RelayInterval)
	payouts := app.New(store, d.Clock(), relay.Kick)

	responders, err := ports.Serve(d.NC, payouts, log)
	if err != nil {
		return err
	}

	// svc.Serve lets the requests already received finish before the store closes.
	return svc.Serve(ctx, d.NC, log, responders, opts.Ready,
		svc.Loop(relay.Run),
		svc.Loop(func(ctx context.Context) { sweepLoop(ctx, payouts, opts.SweepInterval, log) }),
		func(ctx context.Context) error {
			if err := ports.ConsumeRewardPosted(ctx, d.JS, payouts, log); err != nil {
				return fmt.Errorf("payout: reward consumer: %w", err)
			}
			return nil
		},
	)
}

func sweepLoop(ctx context.Context, payouts *app.Payouts, every time.Duration, log *zap.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := payouts.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("payout expiry sweep failed", zap.Error(err))
		case n > 0:
			log.Info("payouts expired", zap.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
