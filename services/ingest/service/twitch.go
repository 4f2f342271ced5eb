package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/twitch/connect"
	"github.com/mimiron/mgm/pkg/twitch/eventsubws"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/reconcile"
	"github.com/mimiron/mgm/services/ingest/ports"
)

// startTwitch connects ingest to Twitch (docs/product.md §12) when an application is
// configured: the accounts are validated at start and hourly, and the chat reaches
// ingest by the chosen transport — the webhook, whose channel.chat.message subscription
// is reconciled at start and after a revocation, or the EventSub WebSocket, held by one
// replica at a time. Without TWITCH_CLIENT_ID ingest only serves the webhook.
func startTwitch(ctx context.Context, d svc.Deps, o Options, hook *ports.Webhook) (*twitchSide, error) {
	cfg, log := d.Config, d.Log
	if cfg.ClientID == "" {
		log.Info("TWITCH_CLIENT_ID is not set: the chat subscription is not managed; only the webhook is served")
		return &twitchSide{}, nil
	}
	feature := oauth.ChatWebhook
	if cfg.EventSubTransport == "websocket" {
		feature = oauth.ChatWebSocket
	}
	tw, err := connect.Open(ctx, cfg, connect.Options{Features: []oauth.Feature{feature}, Log: log, Metrics: d.Metrics})
	if err != nil {
		return nil, err
	}
	go tw.Run(ctx)
	side := &twitchSide{conn: tw}
	if cfg.EventSubTransport == "websocket" {
		if tw.Store == nil {
			log.Error("TWITCH_EVENTSUB_TRANSPORT=websocket needs DATABASE_URL (the logins and the one-connection lease live there): chat is not read")
			return side, nil
		}
		side.backlog, side.done = startWebSocket(ctx, d, o, hook, tw)
		return side, nil
	}
	if cfg.EventSubCallback == "" {
		log.Warn("TWITCH_EVENTSUB_CALLBACK_URL is not set: the chat subscription is not managed (set it to the public https address of /api/twitch/eventsub)")
		return side, nil
	}
	kick := make(chan struct{}, 1)
	hook.Revoked = func(id, status string) {
		need := reconcile.Revoked(status)
		if need.Action == reconcile.LogInAgain {
			log.Error(need.Say, zap.String("subscriptionId", id), zap.String("reason", status))
			return
		}
		log.Warn(need.Say, zap.String("subscriptionId", id), zap.String("reason", status))
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	go reconcileLoop(ctx, d, o, tw, kick)
	return side, nil
}

// twitchSide is what startTwitch started.
type twitchSide struct {
	conn    *connect.Conn  // nil without TWITCH_CLIENT_ID
	backlog *ports.Backlog // the WebSocket transport's, when it runs
	done    chan struct{}  // closed once the WebSocket transport has stopped and drained
}

// ready is ingest's readiness as far as Twitch goes: the WebSocket backlog's.
func (t *twitchSide) ready(ctx context.Context) error {
	if t.backlog == nil {
		return nil
	}
	return t.backlog.Ready(ctx)
}

// close waits for the WebSocket transport (its context must have ended) to store or
// report what it holds, then closes the Twitch connection.
func (t *twitchSide) close() {
	if t.done != nil {
		<-t.done
	}
	if t.conn != nil {
		t.conn.Close()
	}
}

// reconcileLoop reconciles the webhook subscription at start (retrying until it
// works) and whenever a revocation asks for it.
func reconcileLoop(ctx context.Context, d svc.Deps, o Options, tw *connect.Conn, kick <-chan struct{}) {
	cfg, log := d.Config, d.Log
	after, retry := o.ReconcileAfter, o.ReconcileRetry
	if after <= 0 {
		after = time.Second
	}
	if retry <= 0 {
		retry = 30 * time.Second
	}
	wait := after
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		case <-kick:
		}
		reader, err := tw.Helix.SenderID(ctx)
		if err != nil {
			reader = cfg.SenderID
			if reader == "" {
				reader = cfg.BroadcasterID
			}
			log.Warn("the chat account could not be validated; subscribing as the configured user", zap.String("reader", reader), zap.Error(err))
		}
		r, err := reconcile.Reconcile(ctx, tw.Helix, reconcile.Webhook{BroadcasterID: cfg.BroadcasterID, ReaderID: reader,
			Callback: cfg.EventSubCallback, Secret: cfg.EventSubSecret})
		for _, f := range r.Failed {
			log.Error("eventsub: the chat subscription was stuck in a failed state; replaced", zap.String("subscriptionId", f.ID),
				zap.String("status", f.Status), zap.String("why", reconcile.Revoked(f.Status).Say))
		}
		for _, rm := range r.Removed {
			log.Info("eventsub: removed an outdated chat subscription", zap.String("subscriptionId", rm.ID),
				zap.String("callback", rm.Transport.Callback), zap.String("status", rm.Status))
		}
		switch {
		case err != nil:
			log.Error("eventsub: could not reconcile the chat subscription; trying again", zap.Error(err), zap.Duration("in", retry))
			wait = retry
			continue
		case r.LogInAgain != "":
			log.Error(r.LogInAgain)
		case r.Created != nil:
			log.Info("eventsub: chat subscription created; Twitch now verifies the callback", zap.String("subscriptionId", r.Created.ID),
				zap.String("callback", cfg.EventSubCallback), zap.String("reader", reader))
		case r.Kept != nil:
			log.Info("eventsub: chat subscription in place", zap.String("subscriptionId", r.Kept.ID), zap.String("status", r.Kept.Status))
		}
		wait = 24 * time.Hour // until a revocation asks again
	}
}

// startWebSocket reads chat over the EventSub WebSocket while this replica holds the
// lease, and stores it through the backlog, which outlives the lease: a replica that
// loses the lease goes on storing what it read, and the one taking over does not wait
// for it (it cannot see it; both store under the message ids, so nothing is doubled).
// done is closed once ctx has ended, the socket is closed and the backlog is drained
// (or its rest logged as lost after the grace period).
func startWebSocket(ctx context.Context, d svc.Deps, o Options, hook *ports.Webhook, tw *connect.Conn) (backlog *ports.Backlog, done chan struct{}) {
	cfg, log := d.Config, d.Log
	w, bo := o.WebSocket, o.Backlog
	if w.Keepalive == 0 {
		w.Keepalive = 30
	}
	backlog = &ports.Backlog{App: hook.App, Log: log, Metrics: hook.Metrics, Cap: bo.Cap, Backoff: bo.Backoff,
		MaxBackoff: bo.MaxBackoff, Stall: bo.Stall}
	registerBacklogMetrics(d.Metrics, backlog)
	client := &eventsubws.Client{URL: cfg.EventSubWSURL, Log: log, Keepalive: w.Keepalive, WelcomeTimeout: w.WelcomeTimeout,
		Backoff: w.Backoff, MaxBackoff: w.MaxBackoff,
		Handler: &ports.ChatSocket{App: hook.App, Backlog: backlog, Helix: tw.Helix, BroadcasterID: cfg.BroadcasterID, Log: log, Metrics: hook.Metrics}}
	registerWebSocketMetrics(d.Metrics, client.Metrics())
	lease := &eventsubws.PGLease{Pool: tw.Store.Pool(), Name: "eventsub-ws:" + cfg.BroadcasterID, Poll: o.LeasePoll, Log: log}
	leaseDone := make(chan struct{})
	go func() {
		defer close(leaseDone)
		_ = lease.Run(ctx, func(ctx context.Context) { _ = client.Run(ctx) })
	}()
	done = make(chan struct{})
	go func() {
		defer close(done)
		backlog.Run(ctx)
		<-leaseDone // nothing more arrives
		grace := bo.DrainGrace
		if grace <= 0 {
			grace = 10 * time.Second
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		defer cancel()
		backlog.Drain(dctx)
	}()
	return backlog, done
}

func registerBacklogMetrics(reg prometheus.Registerer, b *ports.Backlog) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mgm_ingest_websocket_backlog",
		Help: "Chat commands read from the EventSub WebSocket and waiting for the message bus to store them."},
		func() float64 { return float64(b.Len()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mgm_ingest_websocket_backlog_oldest_seconds",
		Help: "How long the oldest chat command waiting for the message bus has waited (0 when none waits)."},
		func() float64 { return b.OldestWait().Seconds() }))
}

func registerWebSocketMetrics(reg prometheus.Registerer, m *eventsubws.Metrics) {
	counter := func(name, help string, v func() int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) }))
	}
	counter("mgm_ingest_websocket_connects_total", "EventSub WebSocket sessions welcomed.", m.Connects.Load)
	counter("mgm_ingest_websocket_reconnects_total", "session_reconnect messages followed.", m.Reconnects.Load)
	counter("mgm_ingest_websocket_failures_total", "EventSub WebSocket sessions that ended in a failure and were started again.", m.Failures.Load)
	counter("mgm_ingest_websocket_bad_frames_total", "Garbage frames and unknown message types received.", m.BadFrames.Load)
	counter("mgm_ingest_websocket_resent_dropped_total", "Notifications Twitch sent again, dropped by message id.", m.Duplicates.Load)
}
