package fakehelix

import "net/http"

func (s *Server) handleSubscriptions(w http.ResponseWriter, r *http.Request, caller token) {
	b := r.URL.Query().Get("broadcaster_id")
	if b == "" {
		writeErr(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\"")
		return
	}
	if caller.userID != b {
		writeErr(w, http.StatusUnauthorized, "The ID in broadcaster_id must match the user ID found in the request's OAuth token.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	data := []any{}
	for _, u := range r.URL.Query()["user_id"] {
		if tier, ok := s.subscribers[u]; ok {
			data = append(data, map[string]any{
				"broadcaster_id": b, "user_id": u, "tier": tier, "is_gift": false, "plan_name": "Channel Subscription",
			})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}, "total": len(s.subscribers), "points": 0})
}
