package fakehelix

import (
	"net/http"
	"strings"
)

// OAuth error bodies are {"status": N, "message": "..."}, without Helix's "error" field
// (https://dev.twitch.tv/docs/authentication/validate-tokens/ shows
// {"status":401,"message":"invalid access token"};
// https://dev.twitch.tv/docs/authentication/refresh-tokens/ shows
// {"error":"Bad Request","status":400,"message":"Invalid refresh token"} — unknown which
// of the two shapes every OAuth error uses; the fake writes status and message only, so
// a client that needs "error" is caught).
func writeOAuthErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "message": msg})
}

// DeviceGrantType is the grant_type of the device code flow's token request
// (https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#device-code-grant-flow).
const DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// handleToken is POST /oauth2/token. Parameters come x-www-form-urlencoded in the body
// (https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#client-credentials-grant-flow,
// https://dev.twitch.tv/docs/authentication/refresh-tokens/#how-to-use-a-refresh-token);
// the fake ignores the query string, stricter than a server that merges both (unknown).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthErr(w, http.StatusBadRequest, "invalid form")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != ClientID {
		writeOAuthErr(w, http.StatusBadRequest, "invalid client")
		return
	}
	switch f.Get("grant_type") {
	case "client_credentials":
		// A wrong secret is 403 "invalid client secret" (shape as documented for
		// validation errors; exact text unknown).
		if f.Get("client_secret") != ClientSecret {
			writeOAuthErr(w, http.StatusForbidden, "invalid client secret")
			return
		}
		s.mu.Lock()
		access := "aa-" + randomID()
		s.tokens[access] = &token{expiresAt: s.now().Add(s.ttl)}
		s.issued = append(s.issued, access)
		s.appIssued++
		ttl := s.ttl
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "expires_in": int(ttl.Seconds()), "token_type": "bearer"})

	case "refresh_token":
		// A confidential client sends its secret with a refresh
		// (https://dev.twitch.tv/docs/authentication/refresh-tokens/#how-to-use-a-refresh-token).
		if f.Get("client_secret") != ClientSecret {
			writeOAuthErr(w, http.StatusForbidden, "invalid client secret")
			return
		}
		s.mu.Lock()
		old := f.Get("refresh_token")
		g, ok := s.refresh[old]
		if !ok || (!g.expiresAt.IsZero() && s.now().After(g.expiresAt)) || s.users[g.userID] == nil || !s.users[g.userID].authorized {
			s.mu.Unlock()
			// "If the refresh token is not valid, the request returns 400 Bad Request
			// ... Invalid refresh token"
			// (https://dev.twitch.tv/docs/authentication/refresh-tokens/#how-to-use-a-refresh-token).
			writeOAuthErr(w, http.StatusBadRequest, "Invalid refresh token")
			return
		}
		// Twitch may hand back a new refresh token; tokens from the device code flow
		// are one-time use (https://dev.twitch.tv/docs/authentication/refresh-tokens/).
		// The fake always rotates, so a client that keeps the old one is caught, and
		// the access token the old grant carried stops working (unknown on Twitch;
		// stricter: another replica still holding it must pick up the new one).
		delete(s.refresh, old)
		delete(s.tokens, g.access)
		access, next := "ua-"+randomID(), "ur-"+randomID()
		s.tokens[access] = &token{userID: g.userID, scopes: g.scopes, expiresAt: s.now().Add(s.ttl), refresh: next}
		s.refresh[next] = &grant{userID: g.userID, scopes: g.scopes, access: access}
		s.issued = append(s.issued, access, next)
		s.refreshIssued++
		ttl := s.ttl
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": access, "refresh_token": next, "expires_in": int(ttl.Seconds()),
			"scope": nonNil(g.scopes), "token_type": "bearer",
		})

	case DeviceGrantType:
		s.pollDevice(w, f)

	default:
		writeOAuthErr(w, http.StatusBadRequest, "unsupported grant type")
	}
}

// handleValidate is GET /oauth2/validate with "Authorization: OAuth <token>"
// (https://dev.twitch.tv/docs/authentication/validate-tokens/). The fake accepts only
// the documented "OAuth" prefix.
func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validations++
	h := r.Header.Get("Authorization")
	tok, ok := s.tokens[strings.TrimPrefix(h, "OAuth ")]
	if !strings.HasPrefix(h, "OAuth ") || !ok || !s.now().Before(tok.expiresAt) {
		writeOAuthErr(w, http.StatusUnauthorized, "invalid access token")
		return
	}
	body := map[string]any{
		"client_id": ClientID, "scopes": nonNil(tok.scopes),
		"expires_in": int(tok.expiresAt.Sub(s.now()).Seconds()),
	}
	if tok.userID != "" {
		body["user_id"] = tok.userID
		body["login"] = s.userLocked(tok.userID).login
	}
	writeJSON(w, http.StatusOK, body)
}

// handleRevoke is POST /oauth2/revoke with client_id and token in the form
// (https://dev.twitch.tv/docs/authentication/revoke-tokens/): 200 with no body; an
// unknown client is 404 "client does not exist", an unknown token 400 "Invalid token"
// (texts as remembered from that page; the statuses are what the client relies on).
// Revoking an access token also ends its refresh token (unknown on Twitch; stricter).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthErr(w, http.StatusBadRequest, "invalid form")
		return
	}
	if r.PostForm.Get("client_id") != ClientID {
		writeOAuthErr(w, http.StatusNotFound, "client does not exist")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := r.PostForm.Get("token")
	tok, ok := s.tokens[v]
	if !ok {
		writeOAuthErr(w, http.StatusBadRequest, "Invalid token")
		return
	}
	delete(s.tokens, v)
	if tok.refresh != "" {
		delete(s.refresh, tok.refresh)
	}
	s.revocations++
	w.WriteHeader(http.StatusOK)
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
