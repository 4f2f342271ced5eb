package fakehelix

import (
	"slices"
	"time"
)

// IssueUserToken plays userID authorising the application with scopes (replacing what
// it granted before) and returns the access and refresh tokens of that grant.
func (s *Server) IssueUserToken(userID string, scopes ...string) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(userID, scopes)
}

// Authorize plays userID authorising the application with scopes without handing any
// token to the backend (what matters to an app access token).
func (s *Server) Authorize(userID string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(userID)
	u.authorized, u.removed = true, false
	u.scopes = append([]string(nil), scopes...)
	u.authorizes++
}

// Scopes is what userID has granted the application (nil when it has not, or revoked).
func (s *Server) Scopes(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil || !u.authorized {
		return nil
	}
	return slices.Clone(u.scopes)
}

// SetModerator makes userID a moderator of broadcasterID's channel (or not).
func (s *Server) SetModerator(broadcasterID, userID string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(userID)
	if on {
		u.moderates[broadcasterID] = true
	} else {
		delete(u.moderates, broadcasterID)
	}
}

// SetSharedChat puts broadcasterID in a Shared Chat session with others (none ends it).
func (s *Server) SetSharedChat(broadcasterID string, others ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared[broadcasterID] = append([]string(nil), others...)
}

// SetClock replaces the fake's clock for token and device-code expiry.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetMaxDeliveryFailures sets how many webhook deliveries in a row may fail before a
// subscription is revoked with notification_failures_exceeded (default 3).
func (s *Server) SetMaxDeliveryFailures(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxFailures = n
}

// Revocations counts tokens revoked through /oauth2/revoke.
func (s *Server) Revocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revocations
}

// SetTokenTTL sets the lifetime of tokens issued from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = d
}

// ExpireTokens makes every access token issued so far invalid (Helix answers 401);
// refresh tokens keep working.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.tokens {
		delete(s.tokens, k)
	}
}

// AppTokensIssued counts client-credentials grants.
func (s *Server) AppTokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appIssued
}

// RefreshesIssued counts refresh-token grants.
func (s *Server) RefreshesIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshIssued
}

// Validations counts /oauth2/validate calls.
func (s *Server) Validations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validations
}

// Requests counts requests by "METHOD /path", e.g. "POST /helix/chat/messages".
func (s *Server) Requests(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[key]
}

// Secrets is every credential the fake knows (client secret, access and refresh tokens
// ever issued), for tests asserting that none leaks into logs.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string{ClientSecret}, s.issued...)
	for _, sub := range s.subs {
		out = append(out, sub.Secret)
	}
	return out
}

// Posts is every chat message that was sent (is_sent: true), in order.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, p := range s.posts {
		if p.IsSent {
			out = append(out, p)
		}
	}
	return out
}

// Attempts is every chat message request that was answered 200, sent or dropped.
func (s *Server) Attempts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// FailNext makes the next n Helix requests that pass authentication answer status
// (e.g. 503) without effect.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// SetDown makes every authenticated Helix request answer 503 until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Hang delays every chat message request by d before it is handled (0 stops). A caller
// that gives up earlier leaves no post behind.
func (s *Server) Hang(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = d
}

// RateLimitNext makes the next n Helix requests answer 429 with Ratelimit-Reset = resetAt.
func (s *Server) RateLimitNext(n int, resetAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateNext, s.rateReset = n, resetAt
}

// DropNext makes the next n chat messages answer 200 with is_sent:false and the given
// drop_reason.
func (s *Server) DropNext(n int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.drops = append(s.drops, drop{code, message})
	}
}

// SetSubscriber makes userID a subscriber of the channel at tier ("1000", "2000",
// "3000"); an empty tier removes the subscription.
func (s *Server) SetSubscriber(userID, tier string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tier == "" {
		delete(s.subscribers, userID)
		return
	}
	s.subscribers[userID] = tier
}

// Subscriptions is the EventSub subscriptions held now.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, 0, len(s.subs))
	for _, o := range s.subs {
		out = append(out, s.viewLocked(o))
	}
	return out
}

// Subscription is one subscription by id.
func (s *Server) Subscription(id string) (Subscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.subLocked(id); o != nil {
		return s.viewLocked(o), true
	}
	return Subscription{}, false
}
