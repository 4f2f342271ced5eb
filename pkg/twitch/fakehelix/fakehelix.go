// Package fakehelix is a stand-in for Twitch's Helix API and OAuth endpoints, speaking
// the same JSON: tests point TWITCH_HELIX_BASE_URL and TWITCH_AUTH_BASE_URL at it, and
// `make run` uses it when no real Twitch credentials are configured. It checks Client-Id
// and bearer tokens as Twitch does, records chat posts, keeps subscribers and EventSub
// subscriptions in memory, and fails on demand (5xx, 429, hangs, is_sent:false, expired
// tokens).
package fakehelix

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mimiron/mgm/pkg/config"
)

// Credentials of the fake application.
const (
	ClientID     = "fake-client-id"
	ClientSecret = "fake-client-secret"
)

// DefaultTokenTTL is how long issued tokens live unless SetTokenTTL changes it.
const DefaultTokenTTL = 4 * time.Hour

// Post is one chat message request that reached the fake.
type Post struct {
	BroadcasterID string
	SenderID      string
	Message       string
	MessageID     string // set when the message was sent
	IsSent        bool
	DropCode      string
	At            time.Time
}

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

type token struct {
	userID    string // "" for app tokens
	expiresAt time.Time
}

type drop struct{ code, message string }

// Server is the fake. The zero value is not usable; call New or Start.
type Server struct {
	srv *httptest.Server

	mu            sync.Mutex
	tokens        map[string]token  // access token → owner
	refresh       map[string]string // refresh token → user id
	ttl           time.Duration
	appIssued     int
	refreshIssued int
	validations   int
	posts         []Post
	failNext      int
	failStatus    int
	down          bool
	hang          time.Duration
	rateNext      int
	rateReset     time.Time
	drops         []drop
	subscribers   map[string]string // user id → tier
	subs          []Subscription
	requests      map[string]int // "METHOD /path" → count
	issued        []string       // every credential handed out, for Secrets
}

func newServer() *Server {
	return &Server{
		tokens:      map[string]token{},
		refresh:     map[string]string{},
		ttl:         DefaultTokenTTL,
		subscribers: map[string]string{},
		requests:    map[string]int{},
	}
}

// New starts the fake on a free port of 127.0.0.1. Close it when done.
func New() *Server {
	s := newServer()
	s.srv = httptest.NewServer(s.Handler())
	return s
}

// Start serves the fake on addr (for example "127.0.0.1:0"), for the one-process mode.
func Start(addr string) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fakehelix listen %s: %w", addr, err)
	}
	s := newServer()
	s.srv = httptest.NewUnstartedServer(s.Handler())
	_ = s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	return s, nil
}

// URL is the root for both TWITCH_HELIX_BASE_URL and TWITCH_AUTH_BASE_URL.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Handler serves the Helix (/helix/…) and OAuth (/oauth2/…) routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.handleToken)
	mux.HandleFunc("GET /oauth2/validate", s.handleValidate)
	mux.HandleFunc("POST /helix/chat/messages", s.helix(s.handleChat))
	mux.HandleFunc("GET /helix/subscriptions", s.helix(s.handleSubscriptions))
	mux.HandleFunc("POST /helix/eventsub/subscriptions", s.helix(s.handleCreateSub))
	mux.HandleFunc("GET /helix/eventsub/subscriptions", s.helix(s.handleListSubs))
	mux.HandleFunc("DELETE /helix/eventsub/subscriptions", s.helix(s.handleDeleteSub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

// Configure points cfg at the fake: base URLs, the fake application's credentials, and
// user tokens (with refresh tokens) issued for cfg.BroadcasterID and, when set,
// cfg.SenderID. The returned copy is ready for helix.New.
func (s *Server) Configure(cfg config.Config) config.Config {
	cfg.HelixBaseURL = s.URL()
	cfg.AuthBaseURL = s.URL()
	cfg.ClientID = ClientID
	cfg.ClientSecret = ClientSecret
	if cfg.BroadcasterID != "" {
		cfg.BroadcasterToken, cfg.BroadcasterRefresh = s.IssueUserToken(cfg.BroadcasterID)
	}
	if cfg.SenderID != "" {
		cfg.SenderToken, cfg.SenderRefresh = s.IssueUserToken(cfg.SenderID)
	}
	return cfg
}

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

// ---- OAuth ----

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

// ---- Helix ----

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

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request, caller token) {
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang > 0 {
		select {
		case <-time.After(hang):
		case <-r.Context().Done():
			return
		}
		if r.Context().Err() != nil {
			return
		}
	}
	var in struct {
		BroadcasterID string `json:"broadcaster_id"`
		SenderID      string `json:"sender_id"`
		Message       string `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.BroadcasterID == "" || in.SenderID == "" || in.Message == "" {
		writeErr(w, http.StatusBadRequest, "Missing required parameter")
		return
	}
	if len(in.Message) > 500 {
		writeErr(w, http.StatusUnprocessableEntity, "The message is too long")
		return
	}
	if caller.userID != "" && caller.userID != in.SenderID {
		writeErr(w, http.StatusForbidden, "The sender must be the user in the OAuth token")
		return
	}
	s.mu.Lock()
	p := Post{BroadcasterID: in.BroadcasterID, SenderID: in.SenderID, Message: in.Message, At: time.Now()}
	var d *drop
	if len(s.drops) > 0 {
		d = &s.drops[0]
		s.drops = s.drops[1:]
		p.DropCode = d.code
	} else {
		p.IsSent = true
		p.MessageID = randomID()
	}
	s.posts = append(s.posts, p)
	s.mu.Unlock()
	item := map[string]any{"message_id": p.MessageID, "is_sent": p.IsSent, "drop_reason": nil}
	if d != nil {
		item["drop_reason"] = map[string]string{"code": d.code, "message": d.message}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{item}})
}

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
