package fakehelix

import (
	"net/http"
)

// MaxUserIDs is how many user_id parameters Get Broadcaster Subscriptions takes: "You may
// specify a maximum of 100 subscribers" (https://dev.twitch.tv/docs/api/reference/#get-broadcaster-subscriptions).
const MaxUserIDs = 100

// handleSubscriptions is GET /helix/subscriptions
// (https://dev.twitch.tv/docs/api/reference/#get-broadcaster-subscriptions): "Requires a
// user access token that includes the channel:read:subscriptions scope", and the
// broadcaster_id must be the token's user.
func (s *Server) handleSubscriptions(w http.ResponseWriter, r *http.Request, caller token) {
	q := r.URL.Query()
	b := q.Get("broadcaster_id")
	switch {
	case b == "":
		writeErr(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\"")
		return
	case caller.userID == "":
		writeErr(w, http.StatusUnauthorized, "This endpoint requires a user access token")
		return
	case !hasAll(caller.scopes, "channel:read:subscriptions"):
		missingScope(w, "channel:read:subscriptions")
		return
	case caller.userID != b:
		writeErr(w, http.StatusUnauthorized, "The ID in broadcaster_id must match the user ID found in the request's OAuth token.")
		return
	case len(q["user_id"]) > MaxUserIDs:
		// Status and text of the refusal unknown; a 400 names the cap.
		writeErr(w, http.StatusBadRequest, "The maximum number of user_id parameters is 100")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	data := []any{}
	for _, u := range q["user_id"] {
		if tier, ok := s.subscribers[u]; ok {
			data = append(data, map[string]any{
				"broadcaster_id": b, "broadcaster_login": "user" + b, "broadcaster_name": "User" + b,
				"gifter_id": "", "gifter_login": "", "gifter_name": "", "is_gift": false,
				"plan_name": "Channel Subscription", "tier": tier,
				"user_id": u, "user_name": "User" + u, "user_login": "user" + u,
			})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}, "total": len(s.subscribers), "points": 0})
}
