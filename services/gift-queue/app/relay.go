package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/services/gift-queue/adapters"
)

// Outbox is the event store seen by the relay (adapters.Postgres).
type Outbox interface {
	RelayBatch(ctx context.Context, limit int, publish func(context.Context, adapters.Outgoing) error) (int, error)
}

// Relay publishes committed gift events to JetStream (Nats-Msg-Id = event id), in
// version order per request, and marks them published. It runs right after local
// commits (Kick) and polls, so events committed by other replicas or left by a crash
// are published too (outbox.Relay).
type Relay struct {
	*outbox.Relay
	js jetstream.JetStream
}

// NewRelay builds a relay polling every interval (200 ms when 0).
func NewRelay(o Outbox, js jetstream.JetStream, log *zap.Logger, interval time.Duration) *Relay {
	r := &Relay{js: js}
	r.Relay = outbox.NewRelay("gift relay", func(ctx context.Context, limit int) (int, error) {
		return o.RelayBatch(ctx, limit, r.publish)
	}, log, interval)
	return r
}

func (r *Relay) publish(ctx context.Context, o adapters.Outgoing) error {
	env := events.Envelope{
		ID:         o.EventID,
		Type:       o.Subject,
		OccurredAt: o.OccurredAt.UTC(),
		Source:     "gift-queue",
		Data:       json.RawMessage(o.Payload),
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := events.Publish(pctx, r.js, env)
	return err
}
