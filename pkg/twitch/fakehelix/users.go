package fakehelix

import (
	"slices"
	"strings"
	"time"
)

// user is a Twitch account as far as the fake application is concerned: whether it
// authorised the application and with which scopes, and the channels it moderates.
//
// An app access token acts for nobody, so Twitch decides what it may do from the
// scopes the users involved granted the application ("If app access token used, then
// additionally requires user:bot scope from chatting user, and either channel:bot scope
// from broadcaster or moderator status",
// https://dev.twitch.tv/docs/chat/send-receive-messages/ and
// https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage).
type user struct {
	id         string
	login      string
	authorized bool
	// scopes granted by the user's latest authorisation. Unknown whether Twitch
	// accumulates scopes across authorisations; the fake keeps only the latest grant's
	// (the stricter reading).
	scopes     []string
	moderates  map[string]bool // broadcaster ids
	removed    bool            // account closed or suspended
	authorizes int             // authorisations so far
}

// grant is one authorisation's refresh token.
type grant struct {
	userID    string
	scopes    []string
	access    string // the access token issued with it
	expiresAt time.Time
}

func (s *Server) userLocked(id string) *user {
	u := s.users[id]
	if u == nil {
		u = &user{id: id, login: "user" + id, moderates: map[string]bool{}}
		s.users[id] = u
	}
	return u
}

// hasScopes reports whether userID authorised the application with every scope.
func (s *Server) hasScopesLocked(userID string, scopes ...string) bool {
	u := s.users[userID]
	if u == nil || !u.authorized || u.removed {
		return false
	}
	for _, sc := range scopes {
		if !slices.Contains(u.scopes, sc) {
			return false
		}
	}
	return true
}

func (s *Server) isModeratorLocked(broadcasterID, userID string) bool {
	u := s.users[userID]
	return u != nil && u.moderates[broadcasterID]
}

// issueLocked creates a user token and its refresh token for an authorisation.
func (s *Server) issueLocked(userID string, scopes []string) (access, refresh string) {
	u := s.userLocked(userID)
	u.authorized = true
	u.scopes = append([]string(nil), scopes...)
	u.authorizes++
	access, refresh = "ua-"+randomID(), "ur-"+randomID()
	s.issued = append(s.issued, access, refresh)
	s.tokens[access] = &token{userID: userID, scopes: u.scopes, expiresAt: s.now().Add(s.ttl), refresh: refresh}
	s.refresh[refresh] = &grant{userID: userID, scopes: u.scopes, access: access}
	return access, refresh
}

// dropUserTokensLocked invalidates every access and refresh token of userID.
func (s *Server) dropUserTokensLocked(userID string) {
	for k, t := range s.tokens {
		if t.userID == userID {
			delete(s.tokens, k)
		}
	}
	for k, g := range s.refresh {
		if g.userID == userID {
			delete(s.refresh, k)
		}
	}
}

func scopeList(v string) []string {
	var out []string
	for _, f := range strings.Fields(v) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func hasAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
