// Package fakehelix is a stand-in for Twitch's Helix API and OAuth endpoints, speaking
// the same JSON: tests point TWITCH_HELIX_BASE_URL and TWITCH_AUTH_BASE_URL at it, and
// `make run` uses it when no real Twitch credentials are configured. It checks Client-Id
// and bearer tokens as Twitch does, records chat posts, keeps subscribers and EventSub
// subscriptions in memory, and fails on demand (5xx, 429, hangs, is_sent:false, expired
// tokens).
//
// One file per concern: server.go (the server and its routes), controls.go (what tests
// program and observe), oauth.go (the id.twitch.tv endpoints), helix.go (the checks every
// Helix call passes and the answer shapes), chat.go (Send Chat Message), subscribers.go
// (Get Broadcaster Subscriptions), eventsub.go (EventSub subscriptions), extpubsub.go
// (Send Extension PubSub Message). A new Twitch
// surface gets a file of its own.
package fakehelix

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
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
	pubsub        *extPubSub     // Extension PubSub (extpubsub.go)
}

func newServer() *Server {
	return &Server{
		tokens:      map[string]token{},
		refresh:     map[string]string{},
		ttl:         DefaultTokenTTL,
		subscribers: map[string]string{},
		requests:    map[string]int{},
		pubsub:      newExtPubSub(),
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
	mux.HandleFunc("POST /helix/extensions/pubsub", s.handleExtPubSub) // checks its own JWT
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
