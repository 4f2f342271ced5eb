// Package fakeapi is an in-memory stand-in for the backend's Desktop routes (docs/product.md
// §5, §6), for the Desktop's own unit and window tests. The whole loop test runs the
// real backend instead.
package fakeapi

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
)

// Server is the fake backend.
type Server struct {
	*httptest.Server
	Key string

	mu        sync.Mutex
	payouts   []*events.Payout
	candidate *events.Candidate
	down      bool
	calls     []string
	bodies    map[string][]string
	verified  map[string]bool
	gifts     []*events.GiftRequest
}

// New starts a fake on 127.0.0.1 accepting key.
func New(key string) *Server {
	s := &Server{Key: key, verified: map[string]bool{}, bodies: map[string][]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// State is the fake's payouts, gifts and verified cycles as JSON: what a request the
// Desktop should not have sent on would change.
func (s *Server) State() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"payouts": s.payouts, "gifts": s.gifts, "verified": s.verified})
	return string(b)
}

// SetDown makes every route answer 503 (true) or work again (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// SetCandidate sets the cycle awaiting a /who report (nil: 204).
func (s *Server) SetCandidate(c *events.Candidate) {
	s.mu.Lock()
	s.candidate = c
	s.mu.Unlock()
}

// AddPayout adds an active payout and returns it.
func (s *Server) AddPayout(name, status string) events.Payout {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &events.Payout{ID: uuid.NewString(), CharacterName: name, TwitchDisplayName: strings.ToLower(name) + "_tv",
		GoldAmount: domain.PayoutGold, Status: status, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	s.payouts = append(s.payouts, p)
	return *p
}

// Payout reads a payout by id.
func (s *Server) Payout(id string) (events.Payout, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.payouts {
		if p.ID == id {
			return *p, true
		}
	}
	return events.Payout{}, false
}

// Calls lists "METHOD path" of every authorized call that reached a route (down or not).
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Count counts the calls equal to call.
func (s *Server) Count(call string) int {
	n := 0
	for _, c := range s.Calls() {
		if c == call {
			n++
		}
	}
	return n
}

func writeErr(w http.ResponseWriter, status int, code, msg string, details map[string]any) {
	if details == nil {
		details = map[string]any{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "details": details})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var allowed = map[string][]string{
	domain.PayoutPending:    {domain.PayoutInProgress, domain.PayoutCancelled, domain.PayoutFailed},
	domain.PayoutInProgress: {domain.PayoutSent, domain.PayoutCancelled, domain.PayoutFailed, domain.PayoutPending},
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/version" {
		writeJSON(w, 200, map[string]any{"version": "fake"})
		return
	}
	key := r.Header.Get("X-MGM-ApiKey")
	if key == "" {
		writeErr(w, 401, "unauthorized", "missing API key", nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.Key)) != 1 {
		writeErr(w, 403, "forbidden_apikey", "wrong API key", nil)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	s.bodies[r.Method+" "+r.URL.Path] = append(s.bodies[r.Method+" "+r.URL.Path], string(body))
	if s.down {
		writeErr(w, 503, "unavailable", "down for the test", nil)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/roulette/candidate":
		if s.candidate == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, 200, s.candidate)
	case r.Method == "POST" && r.URL.Path == "/api/roulette/verify-candidate":
		var rep events.WhoReport
		if err := json.NewDecoder(r.Body).Decode(&rep); err != nil || rep.SchemaVersion != 1 {
			writeErr(w, 400, "invalid_payload", "bad report", nil)
			return
		}
		if s.verified[rep.SpinCycleID] {
			writeJSON(w, 200, events.VerifyReply{SpinCycleID: rep.SpinCycleID, Outcome: "repeat"})
			return
		}
		if s.candidate == nil || s.candidate.SpinCycleID != rep.SpinCycleID || !domain.SameName(s.candidate.CharacterName, rep.CharacterName) {
			writeErr(w, 400, "out_of_sequence", "no such cycle awaiting a report", nil)
			return
		}
		s.verified[rep.SpinCycleID] = true
		s.candidate = nil
		reply := events.VerifyReply{SpinCycleID: rep.SpinCycleID, Outcome: "offline"}
		if rep.Online {
			p := &events.Payout{ID: uuid.NewString(), CharacterName: rep.CharacterName, GoldAmount: domain.PayoutGold,
				Status: domain.PayoutPending, SpinCycleID: rep.SpinCycleID, CreatedAt: time.Now().UTC()}
			s.payouts = append(s.payouts, p)
			reply.Outcome, reply.Payout = "winner", p
		}
		writeJSON(w, 200, reply)
	case r.Method == "GET" && r.URL.Path == "/api/payouts/pending":
		out := []events.Payout{}
		for _, p := range s.payouts {
			if p.Status == domain.PayoutPending || p.Status == domain.PayoutInProgress {
				out = append(out, *p)
			}
		}
		writeJSON(w, 200, out)
	case len(parts) == 4 && parts[1] == "payouts" && r.Method == "PATCH" && parts[3] == "status":
		p := s.find(parts[2])
		if p == nil {
			writeErr(w, 404, "not_found", "no such payout", nil)
			return
		}
		var body struct{ Status string }
		json.NewDecoder(r.Body).Decode(&body)
		if body.Status == p.Status {
			writeJSON(w, 200, p)
			return
		}
		ok := false
		for _, to := range allowed[p.Status] {
			ok = ok || to == body.Status
		}
		if !ok { // as the payout service answers every forbidden transition
			writeErr(w, 409, "terminal_status_change_not_allowed", "not allowed", map[string]any{"from": p.Status, "to": body.Status})
			return
		}
		p.Status, p.UpdatedAt = body.Status, time.Now().UTC()
		writeJSON(w, 200, p)
	case len(parts) == 4 && parts[1] == "payouts" && r.Method == "POST" && parts[3] == "confirm-acceptance":
		p := s.find(parts[2])
		if p == nil {
			writeErr(w, 404, "not_found", "no such payout", nil)
			return
		}
		var body struct{ CharacterName string }
		json.NewDecoder(r.Body).Decode(&body)
		if !domain.SameName(body.CharacterName, p.CharacterName) {
			writeErr(w, 400, "character_name_mismatch", "name does not match", nil)
			return
		}
		if p.AcceptedAt == nil {
			now := time.Now().UTC()
			p.AcceptedAt = &now
		}
		writeJSON(w, 200, p)
	case len(parts) >= 2 && parts[1] == "gift-requests":
		s.serveGift(w, r, parts)
	default:
		writeErr(w, 404, "not_found", "no route", nil)
	}
}

func (s *Server) find(id string) *events.Payout {
	for _, p := range s.payouts {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Accept records the winner's consent on a payout (as confirm-acceptance would).
func (s *Server) Accept(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.find(id); p != nil && p.AcceptedAt == nil {
		now := time.Now().UTC()
		p.AcceptedAt = &now
	}
}
