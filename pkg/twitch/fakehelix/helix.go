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

// helix checks Client-Id and the bearer token, then applies programmed failures.
func (s *Server) helix(h helixHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.down {
			s.mu.Unlock()
			writeErr(w, http.StatusServiceUnavailable, "service unavailable")
			return
		}
		if s.failNext > 0 {
			s.failNext--
			status := s.failStatus
			s.mu.Unlock()
			writeErr(w, status, http.StatusText(status))
			return
		}
		if s.rateNext > 0 {
			s.rateNext--
			reset := s.rateReset
			s.mu.Unlock()
			w.Header().Set("Ratelimit-Limit", "800")
			w.Header().Set("Ratelimit-Remaining", "0")
			w.Header().Set("Ratelimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			writeErr(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		}
		if r.Header.Get("Client-Id") != ClientID {
			s.mu.Unlock()
			writeErr(w, http.StatusUnauthorized, "Client ID and OAuth token do not match")
			return
		}
		h0 := r.Header.Get("Authorization")
		tok, ok := s.tokens[strings.TrimPrefix(h0, "Bearer ")]
		s.mu.Unlock()
		if !strings.HasPrefix(h0, "Bearer ") || !ok || time.Now().After(tok.expiresAt) {
			writeErr(w, http.StatusUnauthorized, "Invalid OAuth token")
			return
		}
		h(w, r, tok)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers Twitch's error shape.
func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": http.StatusText(status), "status": status, "message": msg})
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
