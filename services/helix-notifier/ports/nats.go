// Package ports connects helix-notifier to the outside: the durable JetStream consumers
// that feed the announcer, the operator's request/reply subjects, the counters, and the
// wire form of an announcement.
package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/helix-notifier/app"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// Queue is the queue group of the operator's requests.
const Queue = "helix-notifier"

// Consumer names.
const (
	Durable       = "helix-notifier"        // MGM_PAYOUT, mgm.payout.status.changed
	ReplayDurable = "helix-notifier-replay" // MGM_NOTIFY, mgm.notify.reward.replay
)

// Prefetch is how many deliveries a consumer holds ahead of the announcer. Each may
// take a Helix call of up to PostTimeout, so a deep buffer would let messages wait
// there past AckWait and be redelivered while still queued.
const Prefetch = 16

// Handlers answer the operator's requests (events.RPCNotifierFailures,
// events.RPCNotifierReplay).
func Handlers(s *app.Service) map[string]natsx.Handler {
	return map[string]natsx.Handler{
		events.RPCNotifierFailures: natsx.HandleNone(func(ctx context.Context) ([]events.Announcement, error) {
			list, err := s.Failures(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]events.Announcement, 0, len(list))
			for i := range list {
				out = append(out, Announcement(&list[i]))
			}
			return out, nil
		}),
		events.RPCNotifierReplay: natsx.Handle(func(ctx context.Context, req events.ReplayRequest) (events.Announcement, error) {
			a, err := s.Replay(ctx, req.PayoutID)
			if err != nil {
				return events.Announcement{}, err
			}
			return Announcement(a), nil
		}),
	}
}

// Consumers are the two durable consumers that feed the announcer: payout Sent
// transitions and operator replays. cfg carries AckWait; the announcer gives up, and
// records why, from the giveUpAt-th delivery on (JetStream itself never stops
// delivering: a database that is down when the time comes is waited for).
func Consumers(b natsx.Bus, s *app.Service, cfg jetstream.ConsumerConfig, giveUpAt int) []svc.Task {
	sent, replays := cfg, cfg
	sent.Durable, sent.FilterSubject = Durable, events.PayoutStatusChanged
	replays.Durable, replays.FilterSubject = ReplayDurable, events.NotifyRewardReplay
	return []svc.Task{consume(b, events.StreamPayout.Name, sent, s, giveUpAt), consume(b, events.StreamNotify.Name, replays, s, giveUpAt)}
}

func consume(b natsx.Bus, stream string, cfg jetstream.ConsumerConfig, s *app.Service, giveUpAt int) svc.Task {
	cfg.DeliverPolicy, cfg.MaxAckPending = jetstream.DeliverAllPolicy, 64
	return natsx.Durable(b, stream, cfg, Prefetch, func(ctx context.Context, msg jetstream.Msg) error {
		req, ok, err := Request(msg)
		if err != nil || !ok {
			return err // undecodable: rejected; not a Sent transition: done
		}
		req.Delivery = natsx.Delivery(msg)
		req.LastDelivery = giveUpAt > 0 && req.Delivery >= giveUpAt
		return s.Announce(ctx, req)
	})
}

// Request reads a payout status change (acting on To == Sent only) or a replay request.
func Request(msg jetstream.Msg) (app.Request, bool, error) {
	if msg.Subject() == events.NotifyRewardReplay {
		var n events.RewardNotice
		if _, err := natsx.DecodeEvent(msg, &n); err != nil {
			return app.Request{}, false, err
		}
		return app.Request{PayoutID: n.PayoutID, CharacterName: n.CharacterName}, true, nil
	}
	var p events.PayoutEvent
	env, err := natsx.DecodeEvent(msg, &p)
	if err != nil {
		return app.Request{}, false, err
	}
	if p.To != shared.PayoutSent {
		return app.Request{}, false, nil
	}
	return app.Request{PayoutID: p.Payout.ID, CharacterName: p.Payout.CharacterName, OccurredAt: env.OccurredAt}, true, nil
}

// Announcement is the wire form of an announcement (the operator's list and replies).
func Announcement(a *domain.Announcement) events.Announcement {
	return events.Announcement{
		PayoutID: a.PayoutID, CharacterName: a.CharacterName, State: string(a.State), Reason: a.Reason,
		Attempts: a.Attempts, Replays: a.Replays, MessageID: a.MessageID, ClaimedAt: a.ClaimedAt,
		PostedAt: a.PostedAt, FailedAt: a.FailedAt, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

// counters registers counters with reg as <prefix><name>_total.
func counters(reg prometheus.Registerer, prefix string) func(name, help string) prometheus.Counter {
	return func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: prefix + name + "_total", Help: help})
		reg.MustRegister(c)
		return c
	}
}

// NewMetrics registers the notifier's counters with reg as
// mgm_helix_notifier_<name>_total.
func NewMetrics(reg prometheus.Registerer) app.Metrics {
	counter := counters(reg, "mgm_helix_notifier_")
	return app.Metrics{
		Posted:  counter("posted", "Reward announcements Helix accepted (is_sent: true)."),
		Failed:  counter("failed", "Reward announcements given up on (terminal drop, permanent error or retries exhausted)."),
		Unknown: counter("unknown", "Reward announcements whose outcome was lost to a crash between Helix's answer and the record."),
		Retried: counter("retried", "Attempts that will be retried (5xx, timeouts, 429, retryable drops, open breaker)."),
		Dropped: counter("dropped", "Helix answers with is_sent: false."),
	}
}
