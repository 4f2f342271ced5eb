// Package service wires the gift queue: PostgreSQL schema "gift", the outbox relay to
// JetStream (stream MGM_GIFT), the RPC handlers (queue group "gift-queue"), the
// durable `!twgift` chat consumer and the timeout sweep. Run is what the standalone
// binary, the one-process mode and the tests start.
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
	"github.com/mimiron/mgm/services/gift-queue/adapters"
	"github.com/mimiron/mgm/services/gift-queue/app"
	"github.com/mimiron/mgm/services/gift-queue/domain"
	"github.com/mimiron/mgm/services/gift-queue/ports"
)

// Options tune the background loops; zero values are the production defaults.
type Options struct {
	// SweepInterval is how often timeouts are checked (default 1 s, so a request fails
	// within a second of its 60 s / 5 min deadline).
	SweepInterval time.Duration
	// RelayInterval is how often the relay polls for events committed elsewhere.
	RelayInterval time.Duration
	// Ready, when set, is called once the service answers requests.
	Ready func()
}

// DefaultSweepInterval is the sweep's production cadence.
const DefaultSweepInterval = time.Second

// Run runs the gift queue with the default options until ctx ends.
func Run(ctx context.Context, d svc.Deps) error { return RunWith(ctx, d, Options{}) }

// RunWith runs the gift queue with opts until ctx ends.
func RunWith(ctx context.Context, d svc.Deps, opts Options) error {
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = DefaultSweepInterval
	}
	log := d.Log
	if log == nil {
		log = zap.NewNop()
	}
	if d.Config.DatabaseURL == "" {
		return errors.New("gift-queue: DATABASE_URL is required")
	}
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamChat, events.StreamGift); err != nil {
		return fmt.Errorf("gift-queue: %w", err)
	}
	store, err := adapters.Open(ctx, d.Config.DatabaseURL)
	if err != nil {
		return fmt.Errorf("gift-queue: %w", err)
	}
	defer store.Close()

	relay := app.NewRelay(store, d.JS, log, opts.RelayInterval)
	if d.Config.BroadcasterID == "" {
		log.Warn("TWITCH_BROADCASTER_ID is not set: !twgift from any channel is queued under that channel")
	}
	gifts := &app.Gifts{
		Store:     store,
		Streamer:  d.Config.BroadcasterID,
		Policy:    domain.ChatPolicy{BroadcasterID: d.Config.BroadcasterID, SubscriberBadges: d.Config.SubscriberBadges},
		Log:       log,
		Clock:     d.Clock(),
		Committed: relay.Kick,
	}

	responders, err := ports.Serve(d.NC, gifts, log)
	if err != nil {
		return fmt.Errorf("gift-queue: %w", err)
	}
	// svc.Serve lets the requests already received finish before the store closes.
	return svc.Serve(ctx, d.NC, log, responders, opts.Ready,
		svc.Loop(relay.Run),
		svc.Loop(func(ctx context.Context) { sweepLoop(ctx, gifts, opts.SweepInterval, log) }),
		func(ctx context.Context) error {
			if err := ports.ConsumeChat(ctx, d.JS, gifts, log); err != nil {
				return fmt.Errorf("gift-queue: chat consumer: %w", err)
			}
			return nil
		},
	)
}

func sweepLoop(ctx context.Context, gifts *app.Gifts, every time.Duration, log *zap.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		_, err := gifts.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			log.Error("gift sweep failed", zap.Error(err))
			failing = true
		case err == nil:
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
