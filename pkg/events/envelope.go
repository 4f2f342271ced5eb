// Package events is the wire contract of everything published on JetStream: the
// envelope, the subjects and streams, and the payload of each event type. proto/events
// documents the same contract for readers who are not reading Go.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Envelope wraps every event. ID doubles as the Nats-Msg-Id, so a retried publish of
// the same event is deduplicated by JetStream.
type Envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurredAt"`
	Source     string          `json:"source"`
	Data       json.RawMessage `json:"data"`
}

// New wraps payload in an envelope with a fresh id (or the given one when id != "").
func New(id, typ, source string, at time.Time, payload any) (Envelope, error) {
	if id == "" {
		id = uuid.NewString()
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	return Envelope{ID: id, Type: typ, OccurredAt: at.UTC(), Source: source, Data: b}, nil
}

// Decode reads an envelope and its payload.
func Decode(data []byte, payload any) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return env, fmt.Errorf("decode envelope: %w", err)
	}
	if payload != nil {
		if err := json.Unmarshal(env.Data, payload); err != nil {
			return env, fmt.Errorf("decode %s payload: %w", env.Type, err)
		}
	}
	return env, nil
}

// Msg is env as a message on subject env.Type with Nats-Msg-Id = env.ID.
func Msg(env Envelope) (*nats.Msg, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(env.Type)
	msg.Data = b
	msg.Header.Set(jetstream.MsgIDHeader, env.ID)
	return msg, nil
}

// Publish sends env on subject (its type) with Nats-Msg-Id = env.ID and waits for the
// stream's acknowledgement, which with SyncAlways means the event is on disk.
func Publish(ctx context.Context, js jetstream.JetStream, env Envelope) (*jetstream.PubAck, error) {
	msg, err := Msg(env)
	if err != nil {
		return nil, err
	}
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", env.Type, err)
	}
	return ack, nil
}
