package ports

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/helix-notifier/app"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// PanelDurable names the durable consumers that turn a viewer's own events into
// whispers to their panel, one per stream: "helix-notifier-panel-pool", "-payout",
// "-gift".
const PanelDurable = "helix-notifier-panel"

// PanelPrefetch: whispers are small and quick; a modest buffer keeps them in order
// per stream without holding much past AckWait.
const PanelPrefetch = 8

// GiftMine reads a viewer's gift request with its place in the queue (adapters.GiftView).
type GiftMine interface {
	Mine(ctx context.Context, twitchUserID string) (*events.GiftViewerRequest, error)
}

// PanelConsumers are the three durable consumers of the viewers' own changes: pool
// membership, payouts, gift requests. Each event becomes one whisper whose part carries
// the event's stream sequence as its version (the panel drops anything older).
func PanelConsumers(js jetstream.JetStream, p *app.Panel, gifts GiftMine, cfg jetstream.ConsumerConfig, log *zap.Logger) []svc.Task {
	pool, payout, gift := cfg, cfg, cfg
	pool.Durable, pool.FilterSubject = PanelDurable+"-pool", "mgm.pool.member.>"
	payout.Durable, payout.FilterSubject = PanelDurable+"-payout", "mgm.payout.>"
	gift.Durable, gift.FilterSubject = PanelDurable+"-gift", events.GiftRequestChanged
	return []svc.Task{
		panelConsume(js, events.StreamPool.Name, pool, log, func(ctx context.Context, msg jetstream.Msg, seq uint64) error {
			var m events.PoolMember
			env, err := natsx.DecodeEvent(msg, &m)
			if err != nil {
				return err
			}
			part := domain.PoolPart{}
			if msg.Subject() != events.PoolMemberRemoved {
				name := m.CharacterName
				part = domain.PoolPart{IsEnrolled: true, CharacterName: &name}
			}
			return p.Whisper(ctx, m.TwitchUserID, env.OccurredAt, domain.ViewerPush{Version: seq, Pool: &domain.Part{Version: seq, Value: part}})
		}),
		panelConsume(js, events.StreamPayout.Name, payout, log, func(ctx context.Context, msg jetstream.Msg, seq uint64) error {
			var e events.PayoutEvent
			env, err := natsx.DecodeEvent(msg, &e)
			if err != nil {
				return err
			}
			if e.Payout.ID == "" || e.Payout.TwitchUserID == "" {
				return nil
			}
			return p.Whisper(ctx, e.Payout.TwitchUserID, env.OccurredAt, domain.ViewerPush{Version: seq, Payout: &domain.Part{Version: seq, Value: PanelPayout(e.Payout)}})
		}),
		panelConsume(js, events.StreamGift.Name, gift, log, func(ctx context.Context, msg jetstream.Msg, seq uint64) error {
			var e events.GiftRequestEvent
			env, err := natsx.DecodeEvent(msg, &e)
			if err != nil {
				return err
			}
			if e.Request.TwitchUserID == "" {
				return nil
			}
			// The viewer's view of it, with the place in the queue, from the service
			// that owns the queue.
			mine, err := gifts.Mine(ctx, e.Request.TwitchUserID)
			if err != nil {
				return err
			}
			return p.Whisper(ctx, e.Request.TwitchUserID, env.OccurredAt, domain.ViewerPush{Version: seq, Gift: &domain.Part{Version: seq, Value: mine}})
		}),
	}
}

func panelConsume(js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig, log *zap.Logger, h func(ctx context.Context, msg jetstream.Msg, seq uint64) error) svc.Task {
	cfg.DeliverPolicy, cfg.MaxAckPending = jetstream.DeliverAllPolicy, 64
	return func(ctx context.Context) error {
		c, err := natsx.EnsureConsumer(ctx, js, stream, cfg)
		if err != nil {
			return err
		}
		return natsx.Consume(ctx, c, log, PanelPrefetch, func(ctx context.Context, msg jetstream.Msg) error {
			md, err := msg.Metadata()
			if err != nil {
				return err
			}
			return h(ctx, msg, md.Sequence.Stream)
		})
	}
}

// PanelPayoutPart is a payout as the panel reads it (GET /api/payouts/my-last's fields
// the panel uses; nothing about other viewers).
type PanelPayoutPart struct {
	ID            string     `json:"id"`
	CharacterName string     `json:"characterName"`
	GoldAmount    int64      `json:"goldAmount"`
	Status        string     `json:"status"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	AcceptedAt    *time.Time `json:"acceptedAt"`
}

// PanelPayout is the part of a payout a whisper carries.
func PanelPayout(p events.Payout) PanelPayoutPart {
	return PanelPayoutPart{
		ID: p.ID, CharacterName: p.CharacterName, GoldAmount: p.GoldAmount, Status: p.Status,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, AcceptedAt: p.AcceptedAt,
	}
}

// NewPanelMetrics registers the panel pusher's counters as mgm_helix_notifier_panel_<name>_total.
func NewPanelMetrics(reg prometheus.Registerer) app.PanelMetrics {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "mgm_helix_notifier_panel_" + name + "_total", Help: help})
		reg.MustRegister(c)
		return c
	}
	return app.PanelMetrics{
		Broadcasts:  counter("broadcasts", "Shared-state broadcasts Twitch accepted (Extension PubSub target broadcast)."),
		Whispers:    counter("whispers", "Whispers of a viewer's own changes Twitch accepted (target whisper-<opaque id>)."),
		RateLimited: counter("rate_limited", "Extension PubSub answers 429; pushes wait for Ratelimit-Reset."),
		Failed:      counter("failed", "Extension PubSub sends that failed (retried when temporary)."),
		Unlinked:    counter("unlinked", "Changes not whispered: the viewer has not shared their identity (or not lately)."),
	}
}
