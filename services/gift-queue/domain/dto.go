package domain

import (
	"fmt"

	"github.com/mimiron/mgm/pkg/events"
)

// DTO is the request as the Desktop and the event stream see it.
func (r Request) DTO() events.GiftRequest {
	items := r.OfferedItems
	if items == nil {
		items = []Item{}
	}
	return events.GiftRequest{
		ID:                r.ID,
		StreamerID:        r.StreamerID,
		TwitchUserID:      r.TwitchUserID,
		TwitchDisplayName: r.TwitchDisplayName,
		CharacterName:     r.CharacterName,
		Source:            r.Source,
		RequestID:         r.RequestID,
		Status:            string(r.Status),
		Reason:            r.Reason,
		OfferedItems:      items,
		ItemID:            r.ItemID,
		ItemName:          r.ItemName,
		ItemCount:         r.ItemCount,
		CreatedAt:         r.CreatedAt,
		UpdatedAt:         r.UpdatedAt,
		PromotedAt:        r.PromotedAt,
		SelectedAt:        r.SelectedAt,
		AcceptedAt:        r.AcceptedAt,
		CompletedAt:       r.CompletedAt,
		FailedAt:          r.FailedAt,
		DeadlineAt:        r.DeadlineAt,
		Version:           r.Version,
	}
}

// Event is the change as published on mgm.gift.request.changed.
func (c Change) Event() events.GiftRequestEvent {
	return events.GiftRequestEvent{Request: c.After.DTO(), From: string(c.From), To: string(c.To)}
}

// EventID is the change's deterministic envelope id (also its Nats-Msg-Id): one per
// request version, so a republished change is deduplicated.
func (c Change) EventID() string { return fmt.Sprintf("gift:%s:v%d", c.After.ID, c.After.Version) }

// ViewerView is a viewer's own request with its place in q.
func ViewerView(q *Queue, r *Request) events.GiftViewerRequest {
	pos := q.Position(r)
	return events.GiftViewerRequest{
		ID:            r.ID,
		RequestID:     r.RequestID,
		CharacterName: r.CharacterName,
		Status:        string(r.Status),
		Reason:        r.Reason,
		ItemName:      r.ItemName,
		Position:      pos,
		ETASeconds:    int(ETA(pos).Seconds()),
		CreatedAt:     r.CreatedAt,
		UpdatedAt:     r.UpdatedAt,
		DeadlineAt:    r.DeadlineAt,
	}
}
