package natsx

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
)

// EventMsg is env as a message on subject env.Type with Nats-Msg-Id = env.ID, so a
// retried publish of the same event is stored once.
func EventMsg(env events.Envelope) (*nats.Msg, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", env.Type, err)
	}
	msg := nats.NewMsg(env.Type)
	msg.Data = b
	msg.Header.Set(jetstream.MsgIDHeader, env.ID)
	return msg, nil
}

// PublishEvent stores env on its stream and waits for the acknowledgement, which with
// SyncAlways means the event is on disk.
func PublishEvent(ctx context.Context, js jetstream.JetStream, env events.Envelope) (*jetstream.PubAck, error) {
	msg, err := EventMsg(env)
	if err != nil {
		return nil, err
	}
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", env.Type, err)
	}
	return ack, nil
}

// PublishEvents stores envs in order (as one atomic batch when atomic is set and the
// batch is large enough, see PublishAll) and returns how many of the first ones are
// stored: len(envs) and nil when all are.
func PublishEvents(ctx context.Context, js jetstream.JetStream, envs []events.Envelope, atomic bool) (int, error) {
	msgs := make([]*nats.Msg, len(envs))
	for i, env := range envs {
		m, err := EventMsg(env)
		if err != nil {
			return 0, err
		}
		msgs[i] = m
	}
	for i, r := range PublishAll(ctx, js, msgs, atomic) {
		if r.Err != nil {
			return i, fmt.Errorf("publish %s: %w", envs[i].Type, r.Err)
		}
	}
	return len(envs), nil
}

// DecodeEvent reads an event's envelope and payload from a message. A body that does
// not decode is invalid_payload: a poison message, kept as a dead letter by the Settler.
func DecodeEvent(msg jetstream.Msg, payload any) (events.Envelope, error) {
	env, err := events.Decode(msg.Data(), payload)
	if err != nil {
		return env, errs.Wrap(errs.Invalid, err, "undecodable %s event", msg.Subject())
	}
	return env, nil
}
