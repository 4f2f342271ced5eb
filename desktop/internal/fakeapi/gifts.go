package fakeapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
)

// The gift routes (docs/product.md §8) as the gift-queue service answers them: one request
// served at a time, the oldest Pending promoted when none is, terminal states final
// (409 with details.from). Deadlines are set but never enforced: a test fails a request
// with SetGift.

// AddGift queues a gift request for characterName (Pending, promoted to SelectingItem
// when nothing is served) and returns it.
func (s *Server) AddGift(characterName, twitchName string) events.GiftRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC()
	g := &events.GiftRequest{ID: uuid.NewString(), StreamerID: "100000001", TwitchUserID: uuid.NewString()[:8],
		TwitchDisplayName: twitchName, CharacterName: characterName, Source: domain.GiftSourceChat,
		Status: domain.GiftPending, OfferedItems: []events.GiftItem{}, CreatedAt: now, UpdatedAt: now}
	s.gifts = append(s.gifts, g)
	s.promote()
	return *g
}

// Gift reads a gift request by id.
func (s *Server) Gift(id string) (events.GiftRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.findGift(id); g != nil {
		return *g, true
	}
	return events.GiftRequest{}, false
}

// SetGift changes a gift request in place (e.g. fail it as a timeout would) and
// promotes the next one.
func (s *Server) SetGift(id string, fn func(g *events.GiftRequest)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.findGift(id); g != nil {
		fn(g)
		s.promote()
	}
}

// Bodies lists the request bodies of the calls equal to call.
func (s *Server) Bodies(call string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies[call]...)
}

func (s *Server) findGift(id string) *events.GiftRequest {
	for _, g := range s.gifts {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func giftActive(g *events.GiftRequest) bool {
	return g.Status == domain.GiftSelectingItem || g.Status == domain.GiftWaitingConfirmation
}

func (s *Server) promote() {
	for _, g := range s.gifts {
		if giftActive(g) {
			return
		}
	}
	for _, g := range s.gifts {
		if g.Status == domain.GiftPending {
			now := time.Now().UTC()
			dl := now.Add(60 * time.Second)
			g.Status, g.PromotedAt, g.DeadlineAt = domain.GiftSelectingItem, &now, &dl
			return
		}
	}
}

func (s *Server) failGift(g *events.GiftRequest, reason string) {
	now := time.Now().UTC()
	g.Status, g.Reason, g.FailedAt, g.DeadlineAt = domain.GiftFailed, reason, &now, nil
	s.promote()
}

func (s *Server) serveGift(w http.ResponseWriter, r *http.Request, parts []string) {
	if len(parts) == 2 && r.Method == http.MethodGet {
		out := []events.GiftRequest{}
		for _, g := range s.gifts {
			if giftActive(g) {
				out = append(out, *g)
			}
		}
		for _, g := range s.gifts {
			if g.Status == domain.GiftPending {
				out = append(out, *g)
			}
		}
		writeJSON(w, 200, out)
		return
	}
	if len(parts) < 3 {
		writeErr(w, 404, "not_found", "no route", nil)
		return
	}
	g := s.findGift(parts[2])
	if g == nil {
		writeErr(w, 404, "not_found", "no such gift request", nil)
		return
	}
	terminal := func(to string) bool {
		if g.Status == domain.GiftCompleted || g.Status == domain.GiftFailed {
			writeErr(w, 409, "terminal_status_change_not_allowed", "gift request is "+g.Status,
				map[string]any{"from": g.Status, "to": to, "reason": g.Reason})
			return true
		}
		return false
	}
	now := time.Now().UTC()
	switch {
	case len(parts) == 3 && r.Method == http.MethodPatch:
		var body struct {
			Status string             `json:"status"`
			Reason string             `json:"reason"`
			Items  *[]events.GiftItem `json:"items"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || (body.Status == "") == (body.Items == nil) {
			writeErr(w, 400, "invalid_payload", "send either status or items", nil)
			return
		}
		if body.Items != nil {
			switch {
			case g.Status == domain.GiftSelectingItem && len(*body.Items) == 0:
				s.failGift(g, domain.GiftReasonNoItems)
			case g.Status == domain.GiftSelectingItem:
				g.OfferedItems = *body.Items
			case terminal(""):
				return
			}
			writeJSON(w, 200, g)
			return
		}
		if body.Status == g.Status {
			writeJSON(w, 200, g)
			return
		}
		if terminal(body.Status) {
			return
		}
		switch {
		case body.Status == domain.GiftFailed:
			reason := body.Reason
			if reason == "" {
				reason = domain.GiftReasonFailedByStreamer
			}
			s.failGift(g, reason)
		case body.Status == domain.GiftCompleted && g.Status == domain.GiftWaitingConfirmation:
			g.Status, g.CompletedAt, g.DeadlineAt = domain.GiftCompleted, &now, nil
			s.promote()
		default:
			writeErr(w, 409, "invalid_status_transition", "not allowed", map[string]any{"from": g.Status, "to": body.Status})
			return
		}
		writeJSON(w, 200, g)
	case len(parts) == 4 && parts[3] == "select-item" && r.Method == http.MethodPost:
		var body struct {
			ItemID   int64  `json:"itemId"`
			ItemName string `json:"itemName"`
			Count    int    `json:"count"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ItemID <= 0 {
			writeErr(w, 400, "invalid_payload", "itemId", nil)
			return
		}
		if terminal(domain.GiftWaitingConfirmation) {
			return
		}
		if g.Status == domain.GiftWaitingConfirmation && g.ItemID != nil && *g.ItemID == body.ItemID {
			writeJSON(w, 200, g)
			return
		}
		if g.Status != domain.GiftSelectingItem {
			writeErr(w, 409, "invalid_status_transition", "not selecting", map[string]any{"from": g.Status, "to": domain.GiftWaitingConfirmation})
			return
		}
		if body.Count == 0 {
			body.Count = 1
		}
		dl := now.Add(5 * time.Minute)
		id := body.ItemID
		g.Status, g.ItemID, g.ItemName, g.ItemCount, g.SelectedAt, g.DeadlineAt =
			domain.GiftWaitingConfirmation, &id, body.ItemName, body.Count, &now, &dl
		writeJSON(w, 200, g)
	case len(parts) == 4 && parts[3] == "confirm" && r.Method == http.MethodPost:
		var body struct {
			Accepted *bool `json:"accepted"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if g.Status == domain.GiftCompleted {
			writeJSON(w, 200, g)
			return
		}
		if terminal(domain.GiftWaitingConfirmation) {
			return
		}
		if g.Status != domain.GiftWaitingConfirmation {
			writeErr(w, 409, "invalid_status_transition", "no item selected", map[string]any{"from": g.Status})
			return
		}
		if body.Accepted != nil && !*body.Accepted {
			s.failGift(g, domain.GiftReasonDeclined)
		} else if g.AcceptedAt == nil {
			g.AcceptedAt, g.DeadlineAt = &now, nil
		}
		writeJSON(w, 200, g)
	default:
		writeErr(w, 404, "not_found", "no route", nil)
	}
}
