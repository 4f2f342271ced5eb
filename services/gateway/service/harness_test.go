package service

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
)

const (
	broadcaster = "1001"
	apiKey      = "desk-key-0123456789"
	extOrigin   = "https://abcdef0123.ext-twitch.tv"
)

var (
	secretOld = extjwt.NewSecret("old")
	secretNew = extjwt.NewSecret("new")
	// t0 is 3 s after a 5-minute boundary.
	t0 = time.Date(2030, 1, 1, 12, 5, 3, 0, time.UTC)
)

type harness struct {
	t     testing.TB
	cfg   config.Config
	clock *testenv.Clock
	nc    *nats.Conn
	js    jetstream.JetStream
	gw    *Gateway
	url   string
}

// testConfig is a deployment with small, test-friendly limits.
func testConfig() config.Config {
	cfg := config.Defaults()
	cfg.BroadcasterID = broadcaster
	cfg.ExtensionSecrets = []string{secretOld, secretNew}
	cfg.APIKey = apiKey
	cfg.CORSOrigins = []string{extOrigin}
	cfg.RPCTimeout = 300 * time.Millisecond
	cfg.ViewerReadPerMin = 1000
	cfg.ViewerWritePerMin = 1000
	cfg.DesktopPerMin = 1000
	cfg.IngestURL = "http://127.0.0.1:1" // nothing listens there
	cfg.DevSkipSubscriber = true
	return cfg
}

// newHarness starts an embedded NATS and a gateway in front of it; edit adjusts the
// configuration first.
func newHarness(t testing.TB, edit func(*config.Config), opts ...Option) *harness {
	t.Helper()
	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	cfg := testConfig()
	if edit != nil {
		edit(&cfg)
	}
	h := &harness{t: t, cfg: cfg, clock: testenv.NewClock(t0), nc: nc, js: js}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	gw, err := New(svc.Deps{Config: cfg, Log: testenv.Logger(t), NC: nc, JS: js, Now: h.clock.Now}, opts...)
	require.NoError(t, err)
	for _, task := range gw.Tasks() {
		go func() { _ = task(ctx) }()
	}
	h.gw = gw
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	testenv.Eventually(t, 5*time.Second, gw.Ready, "gateway ready")
	return h
}

// serve registers a canned responder for subject.
func (h *harness) serve(subject string, fn natsx.Handler) {
	h.t.Helper()
	r, err := natsx.Serve(h.nc, "test", 0, testenv.Logger(h.t), map[string]natsx.Handler{subject: fn})
	require.NoError(h.t, err)
	h.t.Cleanup(func() { r.Stop(time.Second) })
	require.NoError(h.t, h.nc.Flush())
}

func (h *harness) token(c extjwt.Claims) string {
	if c.ChannelID == "" {
		c.ChannelID = broadcaster
	}
	if c.Exp.IsZero() {
		c.Exp = h.clock.Now().Add(time.Hour)
	}
	return extjwt.Mint(secretOld, c)
}

// viewer is a token of a viewer who shared identity.
func (h *harness) viewer(userID string) string {
	return h.token(extjwt.Claims{UserID: userID, OpaqueUserID: "U" + userID, Role: "viewer"})
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body %s", r.body)
	return m
}

// errorBody checks the body is the error body and returns its code and message.
func (r resp) errorBody(t *testing.T) (code, message string) {
	t.Helper()
	m := r.json(t)
	require.Contains(t, m, "code")
	require.Contains(t, m, "message")
	require.Contains(t, m, "details", "every error body carries details")
	require.IsType(t, map[string]any{}, m["details"])
	return m["code"].(string), m["message"].(string)
}

func (h *harness) do(method, path, body string, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	require.NoError(h.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(h.t, err)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
func key(k string) []string      { return []string{"X-MGM-ApiKey", k} }
