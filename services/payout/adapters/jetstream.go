package adapters

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
)

// JetStream is the relay's message bus: it publishes an envelope with Nats-Msg-Id =
// envelope id and waits for the stream's acknowledgement.
type JetStream struct {
	JS jetstream.JetStream
}

// Publish implements app.Bus.
func (b JetStream) Publish(ctx context.Context, env events.Envelope) error {
	_, err := events.Publish(ctx, b.JS, env)
	return err
}
