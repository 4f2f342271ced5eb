package ports

import (
	"encoding/json"
	"fmt"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/gift-queue/app"
	"github.com/mimiron/mgm/services/gift-queue/domain"
)

// Request is a gift request as the Desktop and the event stream see it.
func Request(r *domain.Request) events.GiftRequest {
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
		OfferedItems:      Items(r.OfferedItems),
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

// Items is the wire form of an item list ([] when none).
func Items(items []domain.Item) []events.GiftItem {
	out := make([]events.GiftItem, 0, len(items))
	for _, it := range items {
		out = append(out, events.GiftItem{ItemID: it.ItemID, Name: it.Name, Count: it.Count, Quality: it.Quality})
	}
	return out
}

// DomainItems reads an [MGM_ITEMS] list from the wire.
func DomainItems(items []events.GiftItem) []domain.Item {
	out := make([]domain.Item, 0, len(items))
	for _, it := range items {
		out = append(out, domain.Item{ItemID: it.ItemID, Name: it.Name, Count: it.Count, Quality: it.Quality})
	}
	return out
}

// EncodeChange is a change as published on mgm.gift.request.changed, with its
// deterministic envelope id (also its Nats-Msg-Id): one per request version, so a
// republished change is deduplicated. The repository writes it into its outbox.
func EncodeChange(c domain.Change) (id, subject string, payload []byte, err error) {
	payload, err = json.Marshal(events.GiftRequestEvent{Request: Request(&c.After), From: string(c.From), To: string(c.To)})
	return fmt.Sprintf("gift:%s:v%d", c.After.ID, c.After.Version), events.GiftRequestChanged, payload, err
}

// ViewerRequest is a viewer's own request as the panel sees it.
func ViewerRequest(v app.ViewerRequest) events.GiftViewerRequest {
	r := v.Request
	return events.GiftViewerRequest{
		ID:            r.ID,
		RequestID:     r.RequestID,
		CharacterName: r.CharacterName,
		Status:        string(r.Status),
		Reason:        r.Reason,
		ItemName:      r.ItemName,
		Position:      v.Position,
		ETASeconds:    int(v.ETA.Seconds()),
		CreatedAt:     r.CreatedAt,
		UpdatedAt:     r.UpdatedAt,
		DeadlineAt:    r.DeadlineAt,
		Replay:        v.Replay,
	}
}

// Snapshot is GET /api/streamers/{streamerId}/gift-queue.
func Snapshot(q app.QueueView) events.GiftQueueSnapshot {
	out := events.GiftQueueSnapshot{
		StreamerID:            q.StreamerID,
		QueueLength:           q.Length,
		PendingCount:          q.Pending,
		ETAPerPositionSeconds: int(domain.ETAStep.Seconds()),
		GiftUsed:              q.GiftUsed,
		ServerNow:             q.Now,
	}
	if r := q.Active; r != nil {
		out.Active = &events.GiftQueueActive{CharacterName: r.CharacterName, Status: string(r.Status), DeadlineAt: r.DeadlineAt}
	}
	if q.Mine != nil {
		v := ViewerRequest(*q.Mine)
		out.MyRequest = &v
	}
	return out
}
