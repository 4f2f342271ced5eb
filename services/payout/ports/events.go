package ports

import (
	"encoding/json"
	"fmt"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/payout/domain"
)

// Source is the envelope source of the payout service's events.
const Source = "payout"

// Subjects maps each stored event type to its JetStream subject.
var Subjects = map[domain.EventType]string{
	domain.EventCreated:       events.PayoutCreated,
	domain.EventStatusChanged: events.PayoutStatusChanged,
	domain.EventAccepted:      events.PayoutAccepted,
	domain.EventAnnounced:     events.PayoutAnnounced,
}

// Envelope is the JetStream form of a recorded event: ID = event id (the Nats-Msg-Id),
// Type = subject, Data = events.PayoutEvent.
func Envelope(rec domain.Recorded) (events.Envelope, error) {
	subject, ok := Subjects[rec.Event.Type()]
	if !ok {
		return events.Envelope{}, fmt.Errorf("no subject for payout event %s", rec.Event.Type())
	}
	pe := events.PayoutEvent{Payout: Payout(&rec.After), LifetimeSentGold: rec.LifetimeSentGold}
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
		Source:     Source,
		Data:       data,
	}, nil
}

// Payout is the payout as every client sees it (events.Payout).
func Payout(p *domain.Payout) events.Payout {
	return events.Payout{
		ID:                          p.ID,
		TwitchUserID:                p.TwitchUserID,
		TwitchDisplayName:           p.TwitchDisplayName,
		CharacterName:               p.CharacterName,
		GoldAmount:                  p.GoldAmount,
		EnrollmentRequestID:         p.SpinCycleID,
		SpinCycleID:                 p.SpinCycleID,
		Status:                      string(p.Status),
		CreatedAt:                   p.CreatedAt,
		UpdatedAt:                   p.UpdatedAt,
		AcceptedAt:                  p.AcceptedAt,
		IsRewardSentAnnouncedToChat: p.Announced,
		Version:                     p.Version,
	}
}
