// Package adapters connects ingest to the message bus.
package adapters

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
)

// JetStream publishes events and waits for the stream's acknowledgement (on disk, the
// server syncs every write). Deliveries that arrive together are written together by
// the group publisher, one disk sync per batch. Any failure is errs.Unavailable: Twitch
// retries the delivery, and the retry is deduplicated by the event id.
type JetStream struct {
	NC      *nats.Conn // when set, a disconnected client fails at once instead of waiting
	Group   *natsx.GroupPublisher
	Timeout time.Duration // per publish; default 3 s (Twitch waits a few seconds)
}

// Publish implements app.Publisher.
func (p JetStream) Publish(ctx context.Context, env events.Envelope) (bool, error) {
	if p.NC != nil && !p.NC.IsConnected() {
		return false, errs.E(errs.Unavailable, "message bus unavailable, retry later")
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg, err := events.Msg(env)
	if err != nil {
		return false, errs.Wrap(errs.Internal, err, "encode event")
	}
	ack, err := p.Group.Publish(ctx, msg)
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, err, "message bus unavailable, retry later")
	}
	return ack.Duplicate, nil
}
