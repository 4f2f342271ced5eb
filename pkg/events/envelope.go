// Package events is the wire contract between the services: the envelope, the subjects
// and streams, the payload of each event type and the request/reply bodies. It is data
// only and imports nothing of the project, so every service (and the Desktop) can read
// it without pulling in NATS or a rule; natsx publishes and decodes it. proto/
// documents the same contract for readers who are not reading Go.
package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
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
