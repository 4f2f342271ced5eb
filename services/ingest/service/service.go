// Package service runs ingest: the Twitch EventSub webhook that verifies deliveries and
// turns `!twgold`/`!twgift` chat messages into events on the MGM_CHAT stream.
package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/ingest/adapters"
	"github.com/mimiron/mgm/services/ingest/app"
	"github.com/mimiron/mgm/services/ingest/ports"
)

// Options tune Run for tests; the zero value is production.
type Options struct {
	PublishTimeout time.Duration // default 3 s
	// Metrics, when set, receives the webhook's counters (tests read them directly).
	Metrics *ports.Metrics
}

// Run serves the webhook on d.Listener, or on MGM_INGEST_ADDR, until ctx ends.
func Run(ctx context.Context, d svc.Deps) error { return RunWith(ctx, d, Options{}) }

// RunWith is Run with options.
func RunWith(ctx context.Context, d svc.Deps, o Options) error {
	log := d.Log
	if log == nil {
		log = zap.NewNop()
	}
	if err := ensureStream(ctx, d, log); err != nil {
		return err
	}
	if d.Config.EventSubSecret == "" {
		log.Error("TWITCH_EVENTSUB_SECRET is not set: every EventSub delivery will be refused with 403 invalid_signature")
	}
	// The publisher outlives the HTTP server so requests still in flight at shutdown
	// finish storing what they will acknowledge.
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPub()
	atomic := natsx.AtomicAllowed(ctx, d.JS, events.StreamChat.Name)
	if !atomic {
		log.Warn("the NATS server does not accept atomic batches (nats-server 2.12+): every chat message is synced to disk on its own")
	}
	group := natsx.NewGroupPublisher(pubCtx, d.JS, atomic, o.PublishTimeout)
	metrics := o.Metrics
	if metrics == nil {
		metrics = &ports.Metrics{}
	}
	hook := &ports.Webhook{
		Secret:  d.Config.EventSubSecret,
		Now:     d.Clock(),
		Log:     log,
		Chat:    app.Chat{Pub: adapters.JetStream{NC: d.NC, Group: group, Timeout: o.PublishTimeout}},
		Metrics: metrics,
	}

	ln := d.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", d.Config.IngestAddr); err != nil {
			return fmt.Errorf("ingest listen %s: %w", d.Config.IngestAddr, err)
		}
	}
	srv := &http.Server{
		Handler:           ports.Routes(hook, d.NC),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log),
	}
	log.Info("ingest listening", zap.String("addr", ln.Addr().String()), zap.String("path", ports.Path))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("ingest serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("ingest shutdown: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ingest serve: %w", err)
	}
	return nil
}

// ensureStream provisions MGM_CHAT, retrying while NATS is still coming up: the webhook
// must not answer 2xx before it can store what it acknowledges.
func ensureStream(ctx context.Context, d svc.Deps, log *zap.Logger) error {
	for attempt := 1; ; attempt++ {
		err := natsx.EnsureStreams(ctx, d.JS, events.StreamChat)
		if err == nil {
			return nil
		}
		if attempt == 1 || attempt%30 == 0 {
			log.Warn("waiting for JetStream to provision MGM_CHAT", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ingest: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}
