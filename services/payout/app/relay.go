package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/services/payout/domain"
)

// Outbox is the event store seen by the relay (adapters.Postgres).
type Outbox interface {
	RelayBatch(ctx context.Context, limit int, publish func(context.Context, domain.Recorded) error) (int, error)
}

// Subjects maps each stored event type to its JetStream subject.
var Subjects = map[domain.EventType]string{
	domain.EventCreated:       events.PayoutCreated,
	domain.EventStatusChanged: events.PayoutStatusChanged,
	domain.EventAccepted:      events.PayoutAccepted,
	domain.EventAnnounced:     events.PayoutAnnounced,
}

// Bus stores an event on the message bus with Nats-Msg-Id = envelope id and returns
// once it is stored (adapters.JetStream).
type Bus interface {
	Publish(ctx context.Context, env events.Envelope) error
}

// Relay publishes committed payout events to JetStream, in version order per payout,
// with Nats-Msg-Id = event id, and marks them published. It runs right after local
// commits (Kick) and polls, so events committed by other replicas or left by a crash
// are published too (outbox.Relay).
type Relay struct {
	*outbox.Relay
	bus       Bus
	published atomic.Int64
}

// NewRelay builds a relay polling every interval (200 ms when 0).
func NewRelay(o Outbox, bus Bus, log *zap.Logger, interval time.Duration) *Relay {
	r := &Relay{bus: bus}
	r.Relay = outbox.NewRelay("payout relay", func(ctx context.Context, limit int) (int, error) {
		return o.RelayBatch(ctx, limit, r.publish)
	}, log, interval)
	return r
}

// Published is how many events this relay published (acknowledged by JetStream).
func (r *Relay) Published() int64 { return r.published.Load() }

func (r *Relay) publish(ctx context.Context, rec domain.Recorded) error {
	env, err := Envelope(rec)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.bus.Publish(pctx, env); err != nil {
		return err
	}
	r.published.Add(1)
	return nil
}

// Envelope is the JetStream form of a recorded event: ID = event id (the Nats-Msg-Id),
// Type = subject, Data = events.PayoutEvent.
func Envelope(rec domain.Recorded) (events.Envelope, error) {
	subject, ok := Subjects[rec.Event.Type()]
	if !ok {
		return events.Envelope{}, fmt.Errorf("no subject for payout event %s", rec.Event.Type())
	}
	pe := events.PayoutEvent{Payout: ToDTO(&rec.After), LifetimeSentGold: rec.LifetimeSentGold}
	if d, ok := rec.Event.Data.(domain.StatusChanged); ok {
		pe.From, pe.To = string(d.From), string(d.To)
	}
	data, err := json.Marshal(pe)
	if err != nil {
		return events.Envelope{}, err
	}
	return events.Envelope{
		ID:         rec.Event.ID,
		Type:       subject,
		OccurredAt: rec.Event.OccurredAt.UTC(),
		Source:     "payout",
		Data:       data,
	}, nil
}
