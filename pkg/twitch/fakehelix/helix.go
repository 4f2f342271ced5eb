package fakehelix

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type helixHandler func(w http.ResponseWriter, r *http.Request, caller token)

// Rate limits (https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits): a bucket of
// 800 points a minute per application for app tokens and per application and user for
// user tokens; every response carries Ratelimit-Limit, Ratelimit-Remaining and
// Ratelimit-Reset (Unix seconds when the bucket is full again), and an empty bucket is
// 429. The fake charges one point a request and refills the whole bucket a minute after
// the first request of a window.
const bucketSize = 800

type bucket struct {
	start time.Time
	used  int
}

// helix checks Client-Id and the bearer token first, as Twitch does before anything
// else can happen to a request, then the rate limit, then programmed failures.
func (s *Server) helix(h helixHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// "Authorization: Bearer <token>" and "Client-Id: <client id>" on every Helix
		// request (https://dev.twitch.tv/docs/authentication/#sending-user-access-and-app-access-tokens);
		// a missing or invalid token is 401, a Client-Id that does not match the
		// token's application is 401 too.
		auth := r.Header.Get("Authorization")
		s.mu.Lock()
		tok, ok := s.tokens[strings.TrimPrefix(auth, "Bearer ")]
		valid := strings.HasPrefix(auth, "Bearer ") && ok && s.now().Before(tok.expiresAt)
		var caller token
		if valid {
			caller = *tok
		}
		s.mu.Unlock()
		switch {
		case !valid:
			writeErr(w, http.StatusUnauthorized, "Invalid OAuth token")
			return
		case r.Header.Get("Client-Id") != ClientID:
			writeErr(w, http.StatusUnauthorized, "Client ID and OAuth token do not match")
			return
		}

		s.mu.Lock()
		key := "app"
		if caller.userID != "" {
			key = "user:" + caller.userID
		}
		b := s.buckets[key]
		now := s.now()
		if b == nil || !now.Before(b.start.Add(time.Minute)) {
			b = &bucket{start: now}
			s.buckets[key] = b
		}
		reset := b.start.Add(time.Minute)
		if b.used >= bucketSize {
			s.mu.Unlock()
			rateHeaders(w, 0, reset)
			writeErr(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		}
		b.used++
		remaining := bucketSize - b.used

		switch {
		case s.rateNext > 0:
			s.rateNext--
			reset := s.rateReset
			s.mu.Unlock()
			rateHeaders(w, 0, reset)
			writeErr(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		case s.down:
			s.mu.Unlock()
			rateHeaders(w, remaining, reset)
			writeErr(w, http.StatusServiceUnavailable, "service unavailable")
			return
		case s.failNext > 0:
			s.failNext--
			status := s.failStatus
			s.mu.Unlock()
			rateHeaders(w, remaining, reset)
			writeErr(w, status, http.StatusText(status))
			return
		}
		s.mu.Unlock()
		rateHeaders(w, remaining, reset)
		h(w, r, caller)
	}
}

func rateHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	w.Header().Set("Ratelimit-Limit", strconv.Itoa(bucketSize))
	w.Header().Set("Ratelimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("Ratelimit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers Helix's error shape: {"error": "<status text>", "status": N,
// "message": "..."} (https://dev.twitch.tv/docs/api/guide/#errors — unknown page anchor;
// the shape is the one every Helix reference example shows).
func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": http.StatusText(status), "status": status, "message": msg})
}

// missingScope is how Helix names a scope the token lacks: 401 "Missing scope: <scope>"
// (unknown whether every endpoint words it so; the status is what clients act on).
func missingScope(w http.ResponseWriter, scope string) {
	writeErr(w, http.StatusUnauthorized, "Missing scope: "+scope)
}

func randomID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
