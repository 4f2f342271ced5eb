// Package adapters connects ingest to the message bus.
package adapters

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/ingest/app"
)

// Source is the envelope source of every event ingest publishes.
const Source = "ingest"

// JetStream stores chat commands as events on MGM_CHAT and waits for the stream's
// acknowledgement (on disk: the server syncs every write). Deliveries that arrive
// together are written together by the group publisher, one disk sync per batch. Any
// failure is errs.Unavailable: Twitch retries the delivery, and the retry is
// deduplicated by the delivery id.
type JetStream struct {
	NC      *nats.Conn // when set, a disconnected client fails at once instead of waiting
	Group   *natsx.GroupPublisher
	Timeout time.Duration // per publish; default 3 s (Twitch waits a few seconds)
}

var _ app.Publisher = JetStream{}

// Publish implements app.Publisher.
func (p JetStream) Publish(ctx context.Context, c app.Command) (bool, error) {
	if p.NC != nil && !p.NC.IsConnected() {
		return false, errs.E(errs.Unavailable, "message bus unavailable, retry later")
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	env, err := Envelope(c)
	if err != nil {
		return false, errs.Wrap(errs.Internal, err, "encode event")
	}
	msg, err := natsx.EventMsg(env)
	if err != nil {
		return false, errs.Wrap(errs.Internal, err, "encode event")
	}
	ack, err := p.Group.Publish(ctx, msg)
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, err, "message bus unavailable, retry later")
	}
	return ack.Duplicate, nil
}

// Envelope is a command's event: subject by kind, id = the delivery id (the
// Nats-Msg-Id), payload events.ChatCommand.
func Envelope(c app.Command) (events.Envelope, error) {
	subject := events.ChatTwGold
	if c.Kind == domain.CommandGift {
		subject = events.ChatTwGift
	}
	m := c.Message
	return events.New(c.DeliveryID, subject, Source, c.SentAt, events.ChatCommand{
		MessageID:               m.MessageID,
		BroadcasterUserID:       m.BroadcasterUserID,
		SourceBroadcasterUserID: m.SourceBroadcasterUserID,
		UserID:                  m.UserID,
		UserLogin:               m.UserLogin,
		UserName:                m.UserName,
		Text:                    m.Text,
		Badges:                  m.Badges,
		SentAt:                  c.SentAt,
	})
}
