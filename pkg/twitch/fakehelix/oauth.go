package fakehelix

import (
	"net/http"
	"strings"
	"time"
)

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid form")
		return
	}
	if r.PostForm.Get("client_id") != ClientID || r.PostForm.Get("client_secret") != ClientSecret {
		writeErr(w, http.StatusForbidden, "invalid client secret")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		access := "aa-" + randomID()
		s.tokens[access] = token{expiresAt: time.Now().Add(s.ttl)}
		s.issued = append(s.issued, access)
		s.appIssued++
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": access, "expires_in": int(s.ttl.Seconds()), "token_type": "bearer",
		})
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		user, ok := s.refresh[old]
		if !ok {
			writeErr(w, http.StatusBadRequest, "Invalid refresh token")
			return
		}
		// Twitch may rotate the refresh token; the fake always does, so clients that
		// keep the old one are caught.
		delete(s.refresh, old)
		access, next := "ua-"+randomID(), "ur-"+randomID()
		s.tokens[access] = token{userID: user, expiresAt: time.Now().Add(s.ttl)}
		s.refresh[next] = user
		s.issued = append(s.issued, access, next)
		s.refreshIssued++
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": access, "refresh_token": next, "expires_in": int(s.ttl.Seconds()),
			"scope": []string{"user:write:chat", "channel:read:subscriptions"}, "token_type": "bearer",
		})
	default:
		writeErr(w, http.StatusBadRequest, "unsupported grant type")
	}
}

func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validations++
	h := r.Header.Get("Authorization")
	tok, ok := s.tokens[strings.TrimPrefix(h, "OAuth ")]
	if !strings.HasPrefix(h, "OAuth ") || !ok || time.Now().After(tok.expiresAt) {
		writeErr(w, http.StatusUnauthorized, "invalid access token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"client_id": ClientID, "user_id": tok.userID, "scopes": []string{},
		"expires_in": int(time.Until(tok.expiresAt).Seconds()),
	})
}
