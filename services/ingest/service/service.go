// Package service runs ingest: the Twitch EventSub webhook that verifies deliveries and
// turns `!twgold`/`!twgift` chat messages into events on the MGM_CHAT stream.
package service

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	// ReconcileAfter is how long after start the webhook subscription is reconciled
	// (default 1 s: the listener must be up to answer Twitch's challenge), and
	// ReconcileRetry the wait between failed attempts (default 30 s).
	ReconcileAfter, ReconcileRetry time.Duration
	// WebSocket tunes the EventSub WebSocket client; tests shorten its waits.
	WebSocket WebSocketOptions
	// LeasePoll is how often a standby replica tries the WebSocket lease (default 2 s).
	LeasePoll time.Duration
	// Backlog tunes the WebSocket transport's backlog of chat commands waiting for the
	// message bus (see ports.Backlog).
	Backlog BacklogOptions
	// Handler, when set, is given the HTTP handler ingest serves, before it serves it:
	// the one-process mode hands it to the gateway, so the public address reaches the
	// webhook without an HTTP hop inside the process.
	Handler func(http.Handler)
}

// BacklogOptions tune ports.Backlog; zero values are production's (20,000 commands,
// 100 ms to 5 s between attempts, unready after 30 s of waiting, 10 s of grace at stop).
type BacklogOptions struct {
	Cap                        int
	Backoff, MaxBackoff, Stall time.Duration
	DrainGrace                 time.Duration
}

// WebSocketOptions tune the EventSub WebSocket client (see eventsubws.Client): zero
// values are production's (keepalive 30 s, welcome within 10 s, backoff 1 s to 2 min).
type WebSocketOptions struct {
	Keepalive                           int
	WelcomeTimeout, Backoff, MaxBackoff time.Duration
}

// Run serves the webhook on d.Listener, or on MGM_INGEST_ADDR, until ctx ends.
func Run(ctx context.Context, d svc.Deps) error { return RunWith(ctx, d, Options{}) }

// RunWith is Run with options.
func RunWith(ctx context.Context, d svc.Deps, o Options) error {
	d = d.WithDefaults()
	log := d.Log
	if err := ensureStream(ctx, d, log); err != nil {
		return err
	}
	switch {
	case d.Config.EventSubSecret != "":
	case d.Config.EventSubTransport == "websocket":
		log.Info("TWITCH_EVENTSUB_SECRET is not set: chat comes over the EventSub WebSocket; webhook deliveries are refused")
	default:
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
	hook := &ports.Webhook{
		Secret:  d.Config.EventSubSecret,
		Now:     d.Clock(),
		Log:     log,
		App:     app.Service{Publisher: adapters.JetStream{NC: d.NC, Group: group, Timeout: o.PublishTimeout}},
		Metrics: ports.NewMetrics(d.Metrics),
	}
	// The Twitch side stops before the publisher: the WebSocket backlog stores what it
	// still holds on the way out (deferred calls run last first).
	twCtx, stopTwitch := context.WithCancel(ctx)
	defer stopTwitch()
	tw, err := startTwitch(twCtx, d, o, hook)
	if err != nil {
		return err
	}
	defer func() {
		stopTwitch()
		tw.close()
	}()
	metrics := promhttp.HandlerFor(d.Metrics, promhttp.HandlerOpts{Registry: d.Metrics})
	routes := ports.Routes(hook, d.NC, metrics, tw.ready)
	if o.Handler != nil {
		o.Handler(routes)
	}
	return svc.Serve(ctx, d, svc.Parts{
		HTTP:  routes,
		Addr:  d.Config.IngestAddr,
		Ready: []svc.Check{tw.ready},
	})
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
