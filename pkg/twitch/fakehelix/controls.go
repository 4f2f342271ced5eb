package fakehelix

import "time"

// IssueUserToken creates an access token and a refresh token for userID, as if the user
// had authorized the application.
func (s *Server) IssueUserToken(userID string) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access, refresh = "ua-"+randomID(), "ur-"+randomID()
	s.issued = append(s.issued, access, refresh)
	s.tokens[access] = token{userID: userID, expiresAt: time.Now().Add(s.ttl)}
	s.refresh[refresh] = userID
	return access, refresh
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

// FailNext makes the next n Helix requests answer status (e.g. 503) without effect.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// SetDown makes every Helix request answer 503 until SetDown(false).
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
	return append([]Subscription(nil), s.subs...)
}
