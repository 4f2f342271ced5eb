// Package service wires the gift queue: PostgreSQL schema "gift", the outbox relay to
// JetStream (stream MGM_GIFT), the RPC handlers (queue group "gift-queue"), the
// durable `!twgift` chat consumer and the timeout sweep. Run is what the standalone
// binary, the one-process mode and the tests start.
package service

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/gift-queue/adapters"
	"github.com/mimiron/mgm/services/gift-queue/app"
	"github.com/mimiron/mgm/services/gift-queue/domain"
	"github.com/mimiron/mgm/services/gift-queue/ports"
	"github.com/nats-io/nats.go/jetstream"
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
	d = d.WithDefaults()
	log := d.Log
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamChat, events.StreamGift); err != nil {
		return fmt.Errorf("gift-queue: %w", err)
	}
	pool, err := adapters.Schema.Open(ctx, d.Config.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	repo := adapters.New(pool, ports.EncodeChange)
	relay := Relay(ctx, repo, d.JS, log, opts.RelayInterval).WithMetrics(d.Metrics)
	if d.Config.BroadcasterID == "" {
		log.Warn("TWITCH_BROADCASTER_ID is not set: !twgift from any channel is queued under that channel")
	}
	s := &app.Service{
		Store:     repo,
		Streamer:  d.Config.BroadcasterID,
		Policy:    domain.ChatPolicy{BroadcasterID: d.Config.BroadcasterID, SubscriberBadges: d.Config.SubscriberBadges},
		Log:       log,
		Clock:     d.Clock(),
		Committed: relay.Kick,
	}
	return svc.Serve(ctx, d, svc.Parts{
		Queue:    ports.Queue,
		Handlers: ports.Handlers(s),
		DB:       pool,
		OnReady:  opts.Ready,
		Tasks: []svc.Task{
			svc.Loop(relay.Run),
			svc.Every(opts.SweepInterval, log, "gift sweep", func(ctx context.Context) error {
				_, err := s.Sweep(ctx)
				return err
			}),
			ports.Chat(d.Bus(), s),
		},
	})
}

// Relay is the gift queue's outbox relay: committed request changes to the MGM_GIFT
// stream, in version order per request.
func Relay(ctx context.Context, repo *adapters.Postgres, js jetstream.JetStream, log *zap.Logger, interval time.Duration) *outbox.Relay {
	pub := outbox.ForStream(ctx, js, events.StreamGift)
	return outbox.NewRelay("gift relay", outbox.Mapped(repo.RelayBatch, adapters.Envelope, pub), log, interval)
}
