package ports

import (
	"context"
	"strconv"
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

// PanelAckWait: the panel consumers hold a batch while its whispers go out (Helix's
// Extension PubSub); a push is a convenience, not on the recovery path.
const PanelAckWait = 30 * time.Second

// PanelPrefetch is the most events taken (and coalesced per viewer) at once; whispers
// are small and quick, so a modest batch never waits past AckWait.
const PanelPrefetch = 16

// PanelCoalesce is how long a pull for a viewer's changes stays open: events arriving
// within it are coalesced per viewer (it is also the most a whisper waits).
const PanelCoalesce = 300 * time.Millisecond

// PanelStandbyPoll is how often a replica that does not hold the lease looks again.
const PanelStandbyPoll = 500 * time.Millisecond

// GiftMine reads a viewer's gift request with its place in the queue (adapters.GiftView).
type GiftMine interface {
	Mine(ctx context.Context, twitchUserID string) (*events.GiftViewerRequest, error)
}

// PanelConsumers are the three durable consumers of the viewers' own changes: pool
// membership, payouts, gift requests. Each event becomes a part of a whisper whose
// version is the event's stream sequence (the panel drops anything older); the events
// of one viewer that are waiting together are coalesced into one whisper carrying the
// newest of each part.
func PanelConsumers(b natsx.Bus, p *app.Panel, gifts GiftMine, cfg jetstream.ConsumerConfig) []svc.Task {
	pool, payout, gift := cfg, cfg, cfg
	pool.Durable, pool.FilterSubject = PanelDurable+"-pool", "mgm.pool.member.>"
	payout.Durable, payout.FilterSubject = PanelDurable+"-payout", "mgm.payout.>"
	gift.Durable, gift.FilterSubject = PanelDurable+"-gift", events.GiftRequestChanged
	return []svc.Task{
		panelConsume(b, events.StreamPool.Name, pool, p, func(_ context.Context, msg jetstream.Msg, seq uint64) (change, error) {
			var m events.PoolMember
			env, err := natsx.DecodeEvent(msg, &m)
			if err != nil {
				return change{}, err
			}
			part := domain.PoolPart{}
			if msg.Subject() != events.PoolMemberRemoved {
				name := m.CharacterName
				part = domain.PoolPart{IsEnrolled: true, CharacterName: &name}
			}
			return change{user: m.TwitchUserID, at: env.OccurredAt, push: domain.ViewerPush{Version: seq, Pool: &domain.Part{Version: seq, Value: part}}}, nil
		}),
		panelConsume(b, events.StreamPayout.Name, payout, p, func(_ context.Context, msg jetstream.Msg, seq uint64) (change, error) {
			var e events.PayoutEvent
			env, err := natsx.DecodeEvent(msg, &e)
			if err != nil || e.Payout.ID == "" {
				return change{}, err
			}
			return change{user: e.Payout.TwitchUserID, at: env.OccurredAt, push: domain.ViewerPush{Version: seq, Payout: &domain.Part{Version: seq, Value: PanelPayout(e.Payout)}}}, nil
		}),
		panelConsume(b, events.StreamGift.Name, gift, p, func(ctx context.Context, msg jetstream.Msg, seq uint64) (change, error) {
			var e events.GiftRequestEvent
			env, err := natsx.DecodeEvent(msg, &e)
			if err != nil || e.Request.TwitchUserID == "" {
				return change{}, err
			}
			// The viewer's view of it, with the place in the queue, from the service
			// that owns the queue.
			mine, err := gifts.Mine(ctx, e.Request.TwitchUserID)
			if err != nil {
				return change{}, err
			}
			return change{user: e.Request.TwitchUserID, at: env.OccurredAt, push: domain.ViewerPush{Version: seq, Gift: &domain.Part{Version: seq, Value: mine}}}, nil
		}),
	}
}

// change is one event as a part of a viewer's whisper; user "" means nothing to send.
type change struct {
	user string
	at   time.Time
	push domain.ViewerPush
}

// merge folds b into a: each part keeps the newer version.
func merge(a, b change) change {
	if b.at.After(a.at) {
		a.at = b.at
	}
	newer := func(x, y *domain.Part) *domain.Part {
		if x == nil || (y != nil && y.Version > x.Version) {
			return y
		}
		return x
	}
	a.push.Pool = newer(a.push.Pool, b.push.Pool)
	a.push.Payout = newer(a.push.Payout, b.push.Payout)
	a.push.Gift = newer(a.push.Gift, b.push.Gift)
	a.push.Version = max(a.push.Version, b.push.Version)
	return a
}

func panelConsume(b natsx.Bus, stream string, cfg jetstream.ConsumerConfig, p *app.Panel, read func(ctx context.Context, msg jetstream.Msg, seq uint64) (change, error)) svc.Task {
	cfg.DeliverPolicy, cfg.MaxAckPending = jetstream.DeliverAllPolicy, 64
	log := b.Log
	if log == nil {
		log = zap.NewNop()
	}
	attached := b.Attached.Expect()
	return func(ctx context.Context) error {
		c, err := natsx.EnsureConsumer(ctx, b.JS, stream, cfg)
		if err != nil {
			return err
		}
		settler := natsx.NewSettler(b, stream, cfg.Durable)
		go natsx.SampleLag(ctx, c, settler)
		handle := func(ctx context.Context, msgs []jetstream.Msg) []error {
			results := make([]error, len(msgs))
			byUser := map[string]change{}
			members := map[string][]int{}
			var order []string
			for i, msg := range msgs {
				md, err := msg.Metadata()
				if err != nil {
					results[i] = err
					continue
				}
				seq := md.Sequence.Stream
				if v := msg.Headers().Get(natsx.HeaderDeadStreamSeq); v != "" {
					// An operator's replay of a dead letter: versioned as the original.
					seq, _ = strconv.ParseUint(v, 10, 64)
				}
				ch, err := read(ctx, msg, seq)
				if err != nil || ch.user == "" {
					results[i] = err
					continue
				}
				if prev, ok := byUser[ch.user]; ok {
					ch = merge(prev, ch)
				} else {
					order = append(order, ch.user)
				}
				byUser[ch.user] = ch
				members[ch.user] = append(members[ch.user], i)
			}
			for _, u := range order {
				ch := byUser[u]
				err := p.Whisper(ctx, u, ch.at, ch.push)
				for _, i := range members[u] {
					results[i] = err
				}
			}
			return results
		}
		replays := make(chan error, 1)
		go func() { replays <- natsx.DeadReplays(b, cfg.Durable, handle)(ctx) }()
		defer func() { <-replays }()
		attached()
		// A pull that stays open for PanelCoalesce gathers the events of a burst (a
		// payout moved several times in a row) into one batch.
		for ctx.Err() == nil {
			// Only the lease holder whispers (app.Panel.Sending): the channel's minute
			// is spent by one replica, and the others leave the events to it.
			if !p.Sending() {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(PanelStandbyPoll):
				}
				continue
			}
			batch, err := c.Fetch(PanelPrefetch, jetstream.FetchMaxWait(PanelCoalesce))
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				log.Warn("panel consumer fetch failed", zap.String("stream", stream), zap.Error(err))
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
				}
				continue
			}
			var msgs []jetstream.Msg
			for m := range batch.Messages() {
				msgs = append(msgs, m)
			}
			if len(msgs) == 0 {
				continue
			}
			for i, err := range handle(ctx, msgs) {
				settler.Settle(msgs[i], err)
			}
		}
		return nil
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
	counter := counters(reg, "mgm_helix_notifier_panel_")
	return app.PanelMetrics{
		Broadcasts:  counter("broadcasts", "Shared-state broadcasts Twitch accepted (Extension PubSub target broadcast)."),
		Whispers:    counter("whispers", "Whispers of a viewer's own changes Twitch accepted (target whisper-<opaque id>)."),
		RateLimited: counter("rate_limited", "Extension PubSub answers 429; pushes wait for Ratelimit-Reset."),
		Failed:      counter("failed", "Extension PubSub sends that failed (retried when temporary)."),
		Unlinked:    counter("unlinked", "Changes not whispered: the viewer has not shared their identity (or not lately)."),
		Dropped:     counter("dropped", "Pool-only whispers dropped because their share of the channel's minute was used up (the panel shows the change on its next read)."),
	}
}
