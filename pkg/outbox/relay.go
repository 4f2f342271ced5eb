// Package outbox moves a service's committed, unpublished events to JetStream: the
// transactional outbox every service that publishes events uses. The service's
// repository keeps the rows (Rows: which may be taken, in which order, how they are
// marked); this package maps them to envelopes, publishes them (Publisher) and runs
// the loop — a pass right after a local commit (Kick) and a poll, so events committed
// by another replica or left behind by a crash are published too.
package outbox

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
)

// BatchSize is how many events one batch asks for by default.
const BatchSize = 100

// DefaultInterval is the poll when NewRelay is given none.
const DefaultInterval = 200 * time.Millisecond

// PublishTimeout bounds the publishing of one batch.
const PublishTimeout = 5 * time.Second

// Batch publishes up to limit committed events and marks them published, in one
// transaction. It returns how many it published; an error stops the batch (what was
// published before it stays marked).
type Batch func(ctx context.Context, limit int) (int, error)

// Publisher stores envelopes on the bus in order (Nats-Msg-Id = envelope id, so a
// republished event is stored once) and reports how many of the first ones are stored.
type Publisher func(ctx context.Context, envs []events.Envelope) (int, error)

// JetStream is the Publisher of a JetStream server: one batch is pipelined, or sent as
// one atomic batch (one disk sync) when atomic is set (natsx.AtomicAllowed).
func JetStream(js jetstream.JetStream, atomic bool) Publisher {
	return func(ctx context.Context, envs []events.Envelope) (int, error) {
		ctx, cancel := context.WithTimeout(ctx, PublishTimeout)
		defer cancel()
		return natsx.PublishEvents(ctx, js, envs, atomic)
	}
}

// ForStream is the JetStream Publisher of stream, atomic when the server accepts atomic
// batches on it.
func ForStream(ctx context.Context, js jetstream.JetStream, stream events.Stream) Publisher {
	return JetStream(js, natsx.AtomicAllowed(ctx, js, stream.Name))
}

// Rows is the outbox side of a service's repository. In one transaction it takes up to
// limit committed, unpublished rows in the order they must reach the bus, hands them to
// publish, marks (or deletes) the first n that publish reports stored, and commits. It
// returns n. A crash after publishing but before the commit republishes those rows
// with the same ids, which JetStream drops.
type Rows[T any] func(ctx context.Context, limit int, publish func(context.Context, []T) (int, error)) (int, error)

// Mapped is the Batch of a repository whose outbox rows are T: each row is turned into
// its envelope (the wire form, decided at the service's edge) and published.
func Mapped[T any](rows Rows[T], envelope func(T) (events.Envelope, error), pub Publisher) Batch {
	return func(ctx context.Context, limit int) (int, error) {
		return rows(ctx, limit, func(ctx context.Context, list []T) (int, error) {
			envs := make([]events.Envelope, 0, len(list))
			for _, row := range list {
				env, err := envelope(row)
				if err != nil {
					return 0, err
				}
				envs = append(envs, env)
			}
			n, err := pub(ctx, envs)
			if obs, ok := ctx.Value(observerKey{}).(func([]events.Envelope, []events.Envelope)); ok && n <= len(envs) {
				obs(envs[:n], envs[n:])
			}
			return n, err
		})
	}
}

// observerKey carries a Relay's age observer to Mapped through the Batch's context.
type observerKey struct{}

// Relay runs a service's Batch until nothing is left, whenever it is kicked and on a
// timer.
type Relay struct {
	name      string
	batch     Batch
	log       *zap.Logger
	interval  time.Duration
	size      int
	after     func(context.Context) error
	wake      chan struct{}
	published atomic.Int64
	metrics   *relayMetrics
}

// relayMetrics describe how long committed events wait for the bus.
type relayMetrics struct {
	age     prometheus.Observer // mgm_outbox_event_age_seconds{relay}
	pending prometheus.Gauge    // mgm_outbox_oldest_pending_age_seconds{relay}
}

// NewRelay builds a relay polling every interval (DefaultInterval when 0). name starts
// its log lines ("payout relay").
func NewRelay(name string, batch Batch, log *zap.Logger, interval time.Duration) *Relay {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Relay{name: name, batch: batch, log: log, interval: interval, size: BatchSize, wake: make(chan struct{}, 1)}
}

// WithBatchSize sets how many events one batch asks for (before Run).
func (r *Relay) WithBatchSize(n int) *Relay {
	if n > 0 {
		r.size = n
	}
	return r
}

// WithAfter sets a step run after every pass that published everything, such as
// writing a state document that follows the events (before Run).
func (r *Relay) WithAfter(fn func(context.Context) error) *Relay {
	r.after = fn
	return r
}

// WithMetrics reports the outbox's age in reg (before Run):
// mgm_outbox_event_age_seconds{relay}, how long each event waited between its commit
// and the bus, observed as it is published; and
// mgm_outbox_oldest_pending_age_seconds{relay}, the age of the oldest event the last
// pass could not publish (0 once everything is out).
func (r *Relay) WithMetrics(reg *prometheus.Registry) *Relay {
	if reg == nil {
		return r
	}
	name := strings.TrimSuffix(r.name, " relay")
	age := natsx.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mgm_outbox_event_age_seconds", Help: "How long a committed event waited for the bus, observed as it is published, by relay.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"relay"}))
	pending := natsx.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mgm_outbox_oldest_pending_age_seconds", Help: "Age of the oldest committed event the relay's last pass could not publish (0: all out), by relay.",
	}, []string{"relay"}))
	r.metrics = &relayMetrics{age: age.WithLabelValues(name), pending: pending.WithLabelValues(name)}
	return r
}

func (r *Relay) observe(published, left []events.Envelope) {
	now := time.Now()
	for _, e := range published {
		r.metrics.age.Observe(now.Sub(e.OccurredAt).Seconds())
	}
	oldest := 0.0
	for _, e := range left {
		oldest = max(oldest, now.Sub(e.OccurredAt).Seconds())
	}
	r.metrics.pending.Set(oldest)
}

// Kick wakes the relay; it never blocks.
func (r *Relay) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Published is how many events this relay published (acknowledged by the bus).
func (r *Relay) Published() int64 { return r.published.Load() }

// Run relays until ctx ends. A failure is logged once, and again only after a pass
// worked in between.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	failing := false
	for {
		err := r.Pass(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			r.log.Warn(r.name+": publishing failed, will retry", zap.Error(err))
			failing = true
		case err == nil && failing:
			r.log.Info(r.name + ": publishing again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Pass drains the outbox, then runs the after step.
func (r *Relay) Pass(ctx context.Context) error {
	if _, err := r.Drain(ctx); err != nil {
		return err
	}
	if r.after != nil {
		return r.after(ctx)
	}
	return nil
}

// Drain publishes batches until nothing is left to publish or a publish fails. A batch
// smaller than asked for is not the end: a repository that orders events per aggregate
// offers an aggregate's next event only once its predecessor is marked.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	if r.metrics != nil {
		ctx = context.WithValue(ctx, observerKey{}, r.observe)
	}
	total := 0
	for {
		n, err := r.batch(ctx, r.size)
		total += n
		r.published.Add(int64(n))
		if err != nil || n == 0 {
			return total, err
		}
	}
}
