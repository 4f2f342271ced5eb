// Package service wires the pool: PostgreSQL, the JetStream consumers, the request
// handlers and the outbox relay. Run is what the standalone binary, the one-process mode
// and the tests start.
package service

import (
	"context"
	"fmt"
	"time"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/services/pool/adapters"
	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
	"github.com/mimiron/mgm/services/pool/ports"
)

// Run serves the pool until ctx ends.
func Run(ctx context.Context, d svc.Deps) error {
	d = d.WithDefaults()
	log := d.Log
	pg, err := adapters.Schema.Open(ctx, d.Config.DatabaseURL)
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamChat, events.StreamPool, events.StreamPayout); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	kv, err := natsx.StateBucket(ctx, d.JS)
	if err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	repo := adapters.New(pg)
	relay := Relay(ctx, repo, d.JS, kv, log).WithMetrics(d.Metrics)
	if d.Config.BroadcasterID == "" {
		log.Warn("TWITCH_BROADCASTER_ID is not set: chat commands for any channel enroll")
	}
	s := &app.Service{
		Repo:    repo,
		Policy:  domain.ChatPolicy{BroadcasterID: d.Config.BroadcasterID, SubscriberBadges: d.Config.SubscriberBadges},
		Log:     log,
		Now:     d.Clock(),
		Changed: relay.Kick,
	}
	return svc.Serve(ctx, d, svc.Parts{
		Queue:    ports.Queue,
		Handlers: ports.Handlers(s),
		DB:       pg,
		Tasks: []svc.Task{
			svc.Loop(relay.Run),
			ports.Chat(d.Bus(), s),
			ports.Payouts(d.Bus(), s),
		},
	})
}

// RelayInterval is how often the relay polls for events committed by other replicas.
const RelayInterval = time.Second

// Relay is the pool's outbox relay: committed member events to the MGM_POOL stream in
// commit order, as atomic batches when the server takes them (one disk sync a pass),
// then the stats document.
func Relay(ctx context.Context, repo *adapters.Postgres, js jetstream.JetStream, kv jetstream.KeyValue, log *zap.Logger) *outbox.Relay {
	pub := outbox.ForStream(ctx, js, events.StreamPool)
	stats := adapters.NewStats(kv, func(ctx context.Context) (events.PoolStats, error) {
		st, err := repo.Stats(ctx)
		return ports.Stats(st), err
	})
	identity := func(env events.Envelope) (events.Envelope, error) { return env, nil }
	return outbox.NewRelay("pool relay", outbox.Mapped(repo.RelayOutbox, identity, pub), log, RelayInterval).
		WithBatchSize(natsx.MaxAtomicBatch).
		WithAfter(stats.Push)
}
