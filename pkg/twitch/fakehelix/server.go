// Package fakehelix is a stand-in for Twitch: the Helix API, the OAuth endpoints of
// id.twitch.tv (client credentials, refresh, the device code flow, validate, revoke)
// and EventSub (subscriptions over webhooks, with the verification handshake, and the
// EventSub WebSocket server). Tests point TWITCH_HELIX_BASE_URL, TWITCH_AUTH_BASE_URL
// and TWITCH_EVENTSUB_WS_URL at it, and `make run` uses it when no real Twitch
// application is configured.
//
// It is meant to be at least as strict as Twitch: tokens carry scopes, every endpoint
// checks the scopes and the role of each user involved (docs/product.md §12), errors use
// Twitch's documented statuses and shapes, and every rule cites the documentation page
// it follows. Where the documentation is silent the comment says "unknown" and the fake
// picks the stricter behaviour. Tests program failures (5xx, 429, hangs, dropped
// messages, revocations, WebSocket reconnects and garbage frames) and observe what
// reached it.
//
// One file per concern: server.go (the server and its routes), controls.go (what tests
// program and observe), users.go (users, their authorisations, scopes and moderators),
// oauth.go (the id.twitch.tv endpoints), device.go (the device code flow), helix.go (the
// checks every Helix call passes, rate limits and answer shapes), chat.go (Send Chat
// Message), subscribers.go (Get Broadcaster Subscriptions), eventsub.go (EventSub
// subscriptions: create, list, delete), webhook.go (callbacks, the verification
// handshake, deliveries), websocket.go (the EventSub WebSocket server) and
// websocket_controls.go (what tests do to it), notify.go (chat notifications and
// revocations, on either transport), extpubsub.go (Send Extension PubSub Message). A new
// Twitch surface gets a file of its own.
package fakehelix

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/mimiron/mgm/pkg/config"
)

// Credentials of the fake application (a confidential client: it has a secret).
const (
	ClientID     = "fake-client-id"
	ClientSecret = "fake-client-secret"
)

// DefaultTokenTTL is how long issued tokens live unless SetTokenTTL changes it.
const DefaultTokenTTL = 4 * time.Hour

// Scopes Configure grants. They are what the product asks each account for
// (docs/product.md §12); tests that need fewer grant them with Authorize.
var (
	// BroadcasterScopes: the subscriber check (channel:read:subscriptions), letting
	// the bot read and post in the channel (channel:bot), and reading / posting as the
	// broadcaster itself when there is no bot account.
	BroadcasterScopes = []string{"channel:read:subscriptions", "channel:bot", "user:read:chat", "user:write:chat", "user:bot"}
	// BotScopes: reading chat and posting the announcement as a bot account.
	BotScopes = []string{"user:read:chat", "user:write:chat", "user:bot"}
)

type token struct {
	userID    string // "" for app tokens
	scopes    []string
	expiresAt time.Time
	refresh   string // the refresh token of the same grant ("" for app tokens)
}

type drop struct{ code, message string }

// Server is the fake. The zero value is not usable; call New or Start.
type Server struct {
	srv *httptest.Server
	hc  *http.Client // webhook deliveries

	mu             sync.Mutex
	now            func() time.Time
	users          map[string]*user
	tokens         map[string]*token  // access token → grant
	refresh        map[string]*grant  // refresh token → grant
	devices        map[string]*device // device_code → pending login
	deviceTTL      time.Duration
	deviceInterval int // seconds
	ttl            time.Duration
	appIssued      int
	refreshIssued  int
	validations    int
	revocations    int
	posts          []Post
	failNext       int
	failStatus     int
	down           bool
	hang           time.Duration
	rateNext       int
	rateReset      time.Time
	drops          []drop
	buckets        map[string]*bucket
	subscribers    map[string]string // user id → tier
	shared         map[string][]string
	subs           []*Subscription
	routes         map[string]string // public origin → local origin (webhook callbacks)
	maxFailures    int
	ws             *wsHub
	requests       map[string]int // "METHOD /path" → count
	issued         []string       // every credential handed out, for Secrets
	logf           func(format string, args ...any)
	pubsub         *extPubSub // Extension PubSub (extpubsub.go)
}

func newServer() *Server {
	s := &Server{
		hc:             &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects},
		now:            time.Now,
		users:          map[string]*user{},
		tokens:         map[string]*token{},
		refresh:        map[string]*grant{},
		devices:        map[string]*device{},
		deviceTTL:      30 * time.Minute,
		deviceInterval: 5,
		ttl:            DefaultTokenTTL,
		buckets:        map[string]*bucket{},
		subscribers:    map[string]string{},
		shared:         map[string][]string{},
		routes:         map[string]string{},
		maxFailures:    3,
		requests:       map[string]int{},
		logf:           func(string, ...any) {},
		pubsub:         newExtPubSub(),
	}
	s.ws = newWSHub(s)
	return s
}

// noRedirects: "Redirects are not followed" for webhook callbacks
// (https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription, transport.callback).
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

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

// WebSocketURL is the EventSub WebSocket address (TWITCH_EVENTSUB_WS_URL); Twitch's is
// wss://eventsub.wss.twitch.tv/ws.
func (s *Server) WebSocketURL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws" }

// Close stops the server and every WebSocket session.
func (s *Server) Close() {
	s.ws.closeAll()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Handler serves the Helix (/helix/…), OAuth (/oauth2/…, /activate) and EventSub
// WebSocket (/ws) routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.handleToken)
	mux.HandleFunc("GET /oauth2/validate", s.handleValidate)
	mux.HandleFunc("POST /oauth2/revoke", s.handleRevoke)
	mux.HandleFunc("POST /oauth2/device", s.handleDevice)
	mux.HandleFunc("GET /activate", s.handleActivatePage)
	mux.HandleFunc("POST /activate", s.handleActivate)
	mux.HandleFunc("POST /helix/chat/messages", s.helix(s.handleChat))
	mux.HandleFunc("GET /helix/subscriptions", s.helix(s.handleSubscriptions))
	mux.HandleFunc("POST /helix/eventsub/subscriptions", s.helix(s.handleCreateSub))
	mux.HandleFunc("GET /helix/eventsub/subscriptions", s.helix(s.handleListSubs))
	mux.HandleFunc("DELETE /helix/eventsub/subscriptions", s.helix(s.handleDeleteSub))
	mux.HandleFunc("GET /ws", s.ws.serve)
	mux.HandleFunc("POST /helix/extensions/pubsub", s.handleExtPubSub) // checks its own JWT
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

// Configure points cfg at the fake: base URLs, the fake application's credentials, and
// user tokens (with refresh tokens) issued for cfg.BroadcasterID (BroadcasterScopes)
// and, when set, cfg.SenderID (BotScopes). The returned copy is ready for helix.New.
func (s *Server) Configure(cfg config.Config) config.Config {
	cfg.HelixBaseURL = s.URL()
	cfg.AuthBaseURL = s.URL()
	cfg.EventSubWSURL = s.WebSocketURL()
	cfg.ClientID = ClientID
	cfg.ClientSecret = ClientSecret
	if cfg.BroadcasterID != "" {
		cfg.BroadcasterToken, cfg.BroadcasterRefresh = s.IssueUserToken(cfg.BroadcasterID, BroadcasterScopes...)
	}
	if cfg.SenderID != "" {
		cfg.SenderToken, cfg.SenderRefresh = s.IssueUserToken(cfg.SenderID, BotScopes...)
	}
	return cfg
}

// SetLogf makes the fake describe what it refuses and delivers (t.Logf in tests).
func (s *Server) SetLogf(logf func(format string, args ...any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logf = logf
}
