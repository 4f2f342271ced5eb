package fakehelix

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Subscription is an EventSub subscription held by the fake.
type Subscription struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Version   string            `json:"version"`
	Condition map[string]string `json:"condition"`
	Transport struct {
		Method   string `json:"method"`
		Callback string `json:"callback,omitempty"`
	} `json:"transport"`
	CreatedAt time.Time `json:"created_at"`
	Cost      int       `json:"cost"`
	Secret    string    `json:"-"`
}

func (s *Server) handleCreateSub(w http.ResponseWriter, r *http.Request, caller token) {
	if caller.userID != "" {
		writeErr(w, http.StatusBadRequest, "Invalid OAuth token: webhook subscriptions require an app access token")
		return
	}
	var in struct {
		Type      string            `json:"type"`
		Version   string            `json:"version"`
		Condition map[string]string `json:"condition"`
		Transport struct {
			Method   string `json:"method"`
			Callback string `json:"callback"`
			Secret   string `json:"secret"`
		} `json:"transport"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Type == "" || in.Version == "" {
		writeErr(w, http.StatusBadRequest, "invalid body")
		return
	}
	if in.Transport.Method != "webhook" || !strings.HasPrefix(in.Transport.Callback, "https://") && !strings.HasPrefix(in.Transport.Callback, "http://") {
		writeErr(w, http.StatusBadRequest, "invalid transport")
		return
	}
	if n := len(in.Transport.Secret); n < 10 || n > 100 {
		writeErr(w, http.StatusBadRequest, "invalid transport secret")
		return
	}
	if in.Type == "channel.chat.message" && (in.Condition["broadcaster_user_id"] == "" || in.Condition["user_id"] == "") {
		writeErr(w, http.StatusBadRequest, "invalid condition")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		if sub.Type == in.Type && sub.Version == in.Version && sameCondition(sub.Condition, in.Condition) && sub.Transport.Callback == in.Transport.Callback {
			writeErr(w, http.StatusConflict, "subscription already exists")
			return
		}
	}
	sub := Subscription{ID: randomUUID(), Status: "webhook_callback_verification_pending", Type: in.Type,
		Version: in.Version, Condition: in.Condition, CreatedAt: time.Now().UTC().Truncate(time.Millisecond), Secret: in.Transport.Secret}
	sub.Transport.Method, sub.Transport.Callback = in.Transport.Method, in.Transport.Callback
	s.subs = append(s.subs, sub)
	writeJSON(w, http.StatusAccepted, map[string]any{"data": []Subscription{sub}, "total": len(s.subs), "total_cost": 0, "max_total_cost": 10000})
}

func (s *Server) handleListSubs(w http.ResponseWriter, r *http.Request, caller token) {
	if caller.userID != "" {
		writeErr(w, http.StatusUnauthorized, "app access token required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": append([]Subscription{}, s.subs...), "total": len(s.subs),
		"total_cost": 0, "max_total_cost": 10000, "pagination": map[string]any{}})
}

func (s *Server) handleDeleteSub(w http.ResponseWriter, r *http.Request, caller token) {
	if caller.userID != "" {
		writeErr(w, http.StatusUnauthorized, "app access token required")
		return
	}
	id := r.URL.Query().Get("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sub := range s.subs {
		if sub.ID == id {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeErr(w, http.StatusNotFound, "subscription not found")
}

func sameCondition(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
