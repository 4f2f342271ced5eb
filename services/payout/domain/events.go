package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventType names a payout event in the event store.
type EventType string

// Event types. The store keeps these names; the relay maps each to its JetStream subject.
const (
	EventCreated       EventType = "PayoutCreated"
	EventStatusChanged EventType = "PayoutStatusChanged"
	EventAccepted      EventType = "PayoutAccepted"
	EventAnnounced     EventType = "PayoutAnnounced"
)

// Event is one fact in a payout's history. Version is 1 for the creation and grows by
// one per event; (PayoutID, Version) is unique in the store, which is the optimistic
// concurrency check. ID is assigned by the store when the event is appended.
type Event struct {
	ID         string
	PayoutID   string
	Version    int64
	OccurredAt time.Time
	Data       EventData
}

// Type is the event's type.
func (e Event) Type() EventType { return e.Data.Type() }

// EventData is the payload of one event type.
type EventData interface{ Type() EventType }

// Created opens a payout: the winner of a spin cycle, 1,000 g, Pending.
type Created struct {
	TwitchUserID      string `json:"twitchUserId"`
	TwitchDisplayName string `json:"twitchDisplayName"`
	CharacterName     string `json:"characterName"`
	GoldAmount        int64  `json:"goldAmount"`
	SpinCycleID       string `json:"spinCycleId"`
}

// StatusChanged moves the payout from one status to another.
type StatusChanged struct {
	From Status `json:"from"`
	To   Status `json:"to"`
	By   string `json:"by"` // "client" or "sweep"
}

// Accepted records the winner's consent (confirm-acceptance); AcceptedAt is the
// event's OccurredAt.
type Accepted struct {
	CharacterName string `json:"characterName"` // as the addon reported it
}

// Announced records that the reward line was posted in Twitch chat.
type Announced struct {
	MessageID string `json:"messageId,omitempty"`
}

func (Created) Type() EventType       { return EventCreated }
func (StatusChanged) Type() EventType { return EventStatusChanged }
func (Accepted) Type() EventType      { return EventAccepted }
func (Announced) Type() EventType     { return EventAnnounced }

// EncodeData is the JSON stored for an event's payload.
func EncodeData(d EventData) ([]byte, error) { return json.Marshal(d) }

// DecodeData reads a stored payload of type t.
func DecodeData(t EventType, raw []byte) (EventData, error) {
	var (
		d   EventData
		err error
	)
	switch t {
	case EventCreated:
		var v Created
		err = json.Unmarshal(raw, &v)
		d = v
	case EventStatusChanged:
		var v StatusChanged
		err = json.Unmarshal(raw, &v)
		d = v
	case EventAccepted:
		var v Accepted
		err = json.Unmarshal(raw, &v)
		d = v
	case EventAnnounced:
		var v Announced
		err = json.Unmarshal(raw, &v)
		d = v
	default:
		return nil, fmt.Errorf("unknown payout event type %q", t)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", t, err)
	}
	return d, nil
}
