// Package service wires the pool: PostgreSQL, the JetStream consumers, the request
// handlers and the outbox relay. Run is what the standalone binary, the one-process mode
// and the tests start.
package service

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"

	"github.com/mimiron/mgm/services/pool/adapters"
	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
	"github.com/mimiron/mgm/services/pool/ports"
)

// Run serves the pool until ctx ends.
func Run(ctx context.Context, d svc.Deps) error {
	log := d.Log
	if d.Config.DatabaseURL == "" {
		return errors.New("pool: DATABASE_URL is required")
	}
	pg, err := adapters.Open(ctx, d.Config.DatabaseURL)
	if err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	defer pg.Close()
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamChat, events.StreamPool, events.StreamPayout); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	sink, err := adapters.NewSink(ctx, d.JS)
	if err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	repo := adapters.NewRepo(pg)
	relay := app.NewRelay(repo, sink, log)
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
	chat, payout, err := ports.Consumers(ctx, d.JS)
	if err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	stop, err := ports.Serve(d.NC, s, log)
	if err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	defer stop()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { relay.Run(gctx); return nil })
	g.Go(func() error { return natsx.ConsumeBatches(gctx, chat, log, 128, ports.ChatBatchHandler(s)) })
	g.Go(func() error { return natsx.Consume(gctx, payout, log, ports.PayoutHandler(s)) })
	log.Info("pool ready")
	return g.Wait()
}
