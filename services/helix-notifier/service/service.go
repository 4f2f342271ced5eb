// Package service is helix-notifier's Run: the reward announcement in Twitch chat as a
// durable JetStream consumer of payout Sent events (docs/product.md §7).
//
// Flow: durable "helix-notifier" on MGM_PAYOUT (mgm.payout.status.changed, To == Sent)
// and durable "helix-notifier-replay" on MGM_NOTIFY (mgm.notify.reward.replay) → claim the
// payout's announcement in schema notifier → Helix Send Chat Message through a circuit
// breaker → record → publish mgm.notify.reward.posted (Nats-Msg-Id reward-posted-<id>)
// or, when given up, mgm.notify.reward.failed → ack. Retryable failures (5xx, timeouts,
// 429 until Ratelimit-Reset, msg_ratelimit/msg_slowmode/msg_timedout drops) are Nak'ed
// with Options.Backoff; the MaxDeliver-th delivery gives up. See app.Service.Announce
// for the at-most-once argument and the crash window that remains.
//
// Operators: `go run ./services/helix-notifier failures list [--json]` and
// `go run ./services/helix-notifier failures replay <payoutId>` (DATABASE_URL, and
// NATS_URL for replay), or the request/reply subjects events.RPCNotifierFailures and
// events.RPCNotifierReplay served by every running replica. Counters
// mgm_helix_notifier_{posted,failed,unknown,retried,dropped}_total are served with
// /healthz and /readyz on MGM_OPS_ADDR (or MGM_NOTIFIER_METRICS_ADDR, its older name,
// e.g. 127.0.0.1:9102). Alert on failed and unknown: each is an announcement an operator
// must look at.
//
// The notifier also pushes to the viewers' panels with Extension PubSub when the
// extension is configured (panelPush; docs/product.md §6): the shared state broadcast
// by the replica holding the MGM_PANEL lease, on the plan of domain.BroadcastPlan (a
// draw or an outcome at once, the pool size and gift queue coalesced a third of a cycle
// apart, a heartbeat after a silent boundary), and each viewer's own pool, payout and
// gift changes whispered by the durable consumers helix-notifier-panel-{pool,payout,gift}
// (a viewer's changes arriving within ports.PanelCoalesce become one whisper).
// A 429 holds every push until Twitch's Ratelimit-Reset; counters
// mgm_helix_notifier_panel_{broadcasts,whispers,rate_limited,failed,unlinked,dropped}_total.
package service

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/sharedstate"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/twitch/connect"
	"github.com/mimiron/mgm/pkg/twitch/helix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/services/helix-notifier/adapters"
	"github.com/mimiron/mgm/services/helix-notifier/app"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
	"github.com/mimiron/mgm/services/helix-notifier/ports"
)

// Consumer names.
const (
	Durable       = ports.Durable
	ReplayDurable = ports.ReplayDurable
)

// Options tune retries, the breaker and the crash window; tests shorten them.
type Options struct {
	// Backoff is the delay after the n-th failed delivery (the last step repeats).
	Backoff []time.Duration
	// MaxDeliver bounds the deliveries of one event; the last one gives up and records.
	MaxDeliver int
	// MaxRateWait caps a wait for Ratelimit-Reset.
	MaxRateWait time.Duration
	// AckWait is JetStream's redelivery timer: how long an event held by a notifier that
	// died waits for another (a live notifier reports the event in progress while it
	// posts, however long the post takes).
	AckWait time.Duration
	// PostTimeout bounds one Helix call.
	PostTimeout time.Duration
	// StaleAfter: a "posting" claim older than this belongs to a notifier that stopped
	// mid-post (reported as unknown, never re-posted). Must exceed PostTimeout.
	StaleAfter time.Duration
	// BreakerFailures consecutive Helix-down failures open the breaker for BreakerOpenFor.
	BreakerFailures uint32
	BreakerOpenFor  time.Duration
	// MaxEventAge: Sent events older than this are recorded as failed, not announced
	// (a consumer created on an old stream must not flood chat with stale wins).
	MaxEventAge time.Duration
	// HTTPClient for Helix; nil uses one with PostTimeout.
	HTTPClient *http.Client

	// The push to the panels: how often the broadcaster looks at the state, how long
	// after a silent boundary it sends a heartbeat, how often the lease holder renews
	// (under natsx.PanelLeaseTTL), and how old a viewer's change may be to be whispered.
	PanelTick           time.Duration
	PanelHeartbeatDelay time.Duration
	PanelLeaseRenew     time.Duration
	PanelMaxEventAge    time.Duration
	// PanelRateWait: the pause after a 429 without Ratelimit-Reset (Twitch sends one).
	PanelRateWait time.Duration
	// The pusher's own minute (app.PushBudget): pushes it allows itself per sliding
	// minute (under Twitch's 100 per channel), how many of them only broadcasts may
	// use, and how many more only broadcasts and payout or gift whispers may use.
	PanelPushesPerMinute  int
	PanelBroadcastReserve int
	PanelWhisperReserve   int
}

// DefaultOptions retry for a little over an hour: quickly at first (a timed-out post
// that did land is then caught by Twitch's msg_duplicate), then every 10 minutes.
func DefaultOptions() Options {
	return Options{
		Backoff: []time.Duration{2 * time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second,
			time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute},
		MaxDeliver:      14,
		MaxRateWait:     5 * time.Minute,
		AckWait:         natsx.AckWait,
		PostTimeout:     10 * time.Second,
		StaleAfter:      2 * time.Minute,
		BreakerFailures: 5,
		BreakerOpenFor:  30 * time.Second,
		MaxEventAge:     24 * time.Hour,

		PanelTick:           500 * time.Millisecond,
		PanelHeartbeatDelay: 5 * time.Second,
		PanelLeaseRenew:     5 * time.Second,
		PanelMaxEventAge:    10 * time.Minute,
		PanelRateWait:       10 * time.Second,

		PanelPushesPerMinute:  app.DefaultPushBudget.PerMinute,
		PanelBroadcastReserve: app.DefaultPushBudget.BroadcastReserve,
		PanelWhisperReserve:   app.DefaultPushBudget.WhisperReserve,
	}
}

// Run is helix-notifier with the default options.
func Run(ctx context.Context, d svc.Deps) error { return RunWith(ctx, d, DefaultOptions()) }

// RunWith runs the notifier until ctx ends.
func RunWith(ctx context.Context, d svc.Deps, o Options) error {
	if o.StaleAfter <= o.PostTimeout {
		return fmt.Errorf("helix-notifier: StaleAfter must exceed PostTimeout")
	}
	cfg := d.Config
	if cfg.BroadcasterID == "" {
		return fmt.Errorf("helix-notifier: TWITCH_BROADCASTER_ID is required")
	}
	sender := cfg.SenderID
	if sender == "" {
		sender = cfg.BroadcasterID
	}
	d = d.WithDefaults()
	if d.Ops == nil && cfg.OpsAddr == "" && cfg.NotifierMetrics != "" {
		ln, err := net.Listen("tcp", cfg.NotifierMetrics)
		if err != nil {
			return fmt.Errorf("helix-notifier: ops listener (MGM_NOTIFIER_METRICS_ADDR): %w", err)
		}
		d.Ops = ln
	}
	log := d.Log.With(zap.String("component", "helix-notifier"))
	now := d.Clock()
	pool, err := adapters.Schema.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamPayout, events.StreamNotify); err != nil {
		return err
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: o.PostTimeout}
	}
	tw, err := connect.Open(ctx, cfg, connect.Options{Features: []oauth.Feature{oauth.Announcements}, Log: log,
		Metrics: d.Metrics, HTTPClient: hc, Clock: now})
	if err != nil {
		return fmt.Errorf("helix-notifier: %w", err)
	}
	defer tw.Close()
	go tw.Run(ctx)
	host, _ := os.Hostname()
	s := &app.Service{
		Repo:      adapters.New(pool),
		Chat:      senderFromToken{tw.Helix, sender, log},
		Publisher: adapters.JetStream{JS: d.JS, Now: now},
		Breaker:   app.NewBreaker(o.BreakerFailures, o.BreakerOpenFor, log),
		Metrics:   ports.NewMetrics(d.Metrics),
		Log:       log,
		Now:       now,
		S: app.Settings{
			BroadcasterID: cfg.BroadcasterID, SenderID: sender,
			Worker:  host + "/" + uuid.NewString(),
			Backoff: o.Backoff, MaxRateWait: o.MaxRateWait, PostTimeout: o.PostTimeout,
			StaleAfter: o.StaleAfter, MaxEventAge: o.MaxEventAge,
		},
	}
	tasks := ports.Consumers(d.Bus(), s, jetstream.ConsumerConfig{AckWait: o.AckWait}, o.MaxDeliver)
	panelTasks, err := panelPush(ctx, d, o, hc, now, host, log)
	if err != nil {
		return err
	}
	return svc.Serve(ctx, d, svc.Parts{
		Queue:    ports.Queue,
		Handlers: ports.Handlers(s),
		DB:       pool,
		Tasks:    append(tasks, panelTasks...),
	})
}

// senderFromToken posts as the account whose token says who it is: Send Chat Message's
// sender_id "must match the user ID in the user access token", and with the app token it
// must be a user who authorised the application
// (https://dev.twitch.tv/docs/api/reference/#send-chat-message). The id comes from
// /oauth2/validate (helix.Client.SenderID, validated at start and hourly); the
// configured TWITCH_SENDER_ID (or the broadcaster) is used only when no account can be
// validated.
type senderFromToken struct {
	helix      *helix.Client
	configured string
	log        *zap.Logger
}

func (s senderFromToken) SendChatMessage(ctx context.Context, broadcasterID, _, message string) (helix.SendResult, error) {
	sender, err := s.helix.SenderID(ctx)
	if err != nil {
		sender = s.configured
		s.log.Warn("the announcing account could not be validated; posting as the configured sender", zap.String("sender", sender), zap.Error(err))
	} else if s.configured != "" && sender != s.configured {
		s.log.Debug("posting as the account the token belongs to, not TWITCH_SENDER_ID", zap.String("sender", sender), zap.String("configured", s.configured))
	}
	return s.helix.SendChatMessage(ctx, broadcasterID, sender, message)
}

// panelPush is the push to the viewers' panels (docs/product.md §6, "Pushing to the
// panel"), when the extension is configured (TWITCH_EXTENSION_CLIENT_ID and
// TWITCH_EXTENSION_SECRETS): the shared state broadcast by the replica holding the
// lease in MGM_PANEL, and each viewer's own pool, payout and gift changes whispered by
// three durable consumers ("helix-notifier-panel-pool", "-payout", "-gift") to the
// opaque id the gateway recorded when the viewer shared their identity (MGM_VIEWERS).
// Without the extension configured, panels fall back to slow polling.
func panelPush(ctx context.Context, d svc.Deps, o Options, hc *http.Client, now func() time.Time, host string, log *zap.Logger) ([]svc.Task, error) {
	cfg := d.Config
	if cfg.ExtensionClientID == "" || len(cfg.ExtensionSecrets) == 0 {
		log.Info("TWITCH_EXTENSION_CLIENT_ID or TWITCH_EXTENSION_SECRETS unset: no pushes to the panel (panels poll slowly)")
		return nil, nil
	}
	pubsub, err := helix.NewExtensionPubSub(cfg, helix.WithHTTPClient(hc), helix.WithClock(now))
	if err != nil {
		return nil, err
	}
	if err := natsx.EnsureStreams(ctx, d.JS, events.StreamPool, events.StreamPayout, events.StreamGift); err != nil {
		return nil, err
	}
	log = log.With(zap.String("part", "panel"))
	rpc := cfg.RPCTimeout
	if rpc <= 0 {
		rpc = 2 * time.Second
	}
	shared := &adapters.SharedState{
		View: sharedstate.NewView(cfg.SpinInterval, now), NC: d.NC, BroadcasterID: cfg.BroadcasterID,
		Interval: cfg.SpinInterval, Now: now, RPCTimeout: rpc, Log: log,
	}
	p := &app.Panel{
		PubSub:        pubsub,
		Viewers:       &adapters.Viewers{JS: d.JS},
		Shared:        shared,
		Leader:        &adapters.Lease{JS: d.JS, Worker: host + "/" + uuid.NewString(), Now: now, Renew: o.PanelLeaseRenew},
		Versions:      &adapters.Versions{JS: d.JS},
		Plan:          domain.BroadcastPlan{Interval: cfg.SpinInterval, HeartbeatDelay: o.PanelHeartbeatDelay},
		BroadcasterID: cfg.BroadcasterID,
		MaxEventAge:   o.PanelMaxEventAge,
		Tick:          o.PanelTick,
		RateWait:      o.PanelRateWait,
		Budget:        app.PushBudget{PerMinute: o.PanelPushesPerMinute, BroadcastReserve: o.PanelBroadcastReserve, WhisperReserve: o.PanelWhisperReserve},
		Metrics:       ports.NewPanelMetrics(d.Metrics),
		Log:           log,
		Now:           now,
	}
	gifts := adapters.GiftView{NC: d.NC, BroadcasterID: cfg.BroadcasterID, RPCTimeout: rpc}
	tasks := ports.PanelConsumers(d.Bus(), p, gifts, jetstream.ConsumerConfig{AckWait: ports.PanelAckWait})
	tasks = append(tasks,
		func(ctx context.Context) error { return shared.Watch(ctx, d.JS) },
		p.RunBroadcasts,
	)
	return tasks, nil
}
