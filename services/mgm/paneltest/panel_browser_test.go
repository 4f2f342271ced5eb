package paneltest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/services/mgm/allinone"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// Harness is what the browser tests receive (environment MGM_PANEL_HARNESS).
type Harness struct {
	PanelURL     string `json:"panelUrl"`    // the built panel's panel.html
	APIURL       string `json:"apiUrl"`      // the gateway as the panel reaches it (through the switchable proxy)
	GatewayURL   string `json:"gatewayUrl"`  // the gateway directly, for the Desktop's calls
	ControlURL   string `json:"controlUrl"`  // this test's control routes (chat, subscribers, backend down/up, PubSub)
	APIKey       string `json:"apiKey"`      // the Desktop's key
	ChannelID    string `json:"channelId"`   // the broadcaster
	ClientID     string `json:"clientId"`    // the extension's client id
	Secret       string `json:"secret"`      // the extension secret (base64), for minting viewer JWTs
	SpinSeconds  int    `json:"spinSeconds"` // MGM_SPIN_INTERVAL of this backend
	WritesPerMin int    `json:"writesPerMin"`
	Screenshots  string `json:"screenshots"` // where to write PNGs
}

// spinInterval is short so a draw happens within the test; writesPerMin is low so a
// viewer reaches the 429 in a few clicks.
const (
	spinInterval = 12 * time.Second
	writesPerMin = 3
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "extension", "package.json")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "repository root not found")
		dir = parent
	}
}

func TestPanel_InChromiumAgainstTheWholeBackend(t *testing.T) {
	root := repoRoot(t)
	dist := filepath.Join(root, "dist", "extension")
	for _, f := range []string{"panel.html", "panel.js", "panel.css", "config.js"} {
		if _, err := os.Stat(filepath.Join(dist, f)); err != nil {
			t.Fatalf("%s is missing: build the panel first (make extension, or bash scripts/build-extension.sh): %v", filepath.Join(dist, f), err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "extension", "node_modules", "playwright-core")); err != nil {
		t.Fatalf("extension/node_modules is missing: run bash scripts/build-extension.sh (it runs npm ci): %v", err)
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err, "node is needed for the browser tests (scripts/ensure-node.sh)")
	_, err = os.Stat("/usr/bin/chromium")
	require.NoError(t, err, "Debian's Chromium is needed (scripts/ensure-chromium.sh)")

	// The panel's origin, with config.js pointing at the proxy (known only later).
	var apiURL string
	var apiMu sync.Mutex
	files := http.FileServer(http.Dir(dist))
	panel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/config.js" {
			apiMu.Lock()
			u := apiURL
			apiMu.Unlock()
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, "window.MGM_CONFIG = {\"ebsUrl\": %q};\n", u)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer panel.Close()

	helix := fakehelix.New()
	defer helix.Close()
	require.NoError(t, helix.SetExtensionSecrets(allinone.DevExtensionSecret))
	sys := allinonetest.StartWith(t, func(c *config.Config) {
		c.CORSOrigins = []string{panel.URL}
		c.SpinInterval = spinInterval
		c.ViewerWritePerMin = writesPerMin
		c.ViewerReadPerMin = 600
	}, allinone.Options{FakeHelix: helix})

	proxy := newSwitchProxy(t, sys.URL)
	defer proxy.Close()
	apiMu.Lock()
	apiURL = proxy.URL()
	apiMu.Unlock()

	control := httptest.NewServer(controlRoutes(t, sys, helix, proxy))
	defer control.Close()

	shots := filepath.Join(root, "dist", "panel-screenshots")
	require.NoError(t, os.MkdirAll(shots, 0o755))
	h := Harness{
		PanelURL: panel.URL + "/panel.html", APIURL: proxy.URL(), GatewayURL: sys.URL, ControlURL: control.URL,
		APIKey: sys.Config.APIKey, ChannelID: sys.Config.BroadcasterID, ClientID: fakehelix.ExtensionClientID,
		Secret: sys.Config.ExtensionSecrets[0], SpinSeconds: int(spinInterval / time.Second), WritesPerMin: writesPerMin,
		Screenshots: shots,
	}
	env, err := json.Marshal(h)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "--test-reporter=spec", "test/browser/")
	cmd.Dir = filepath.Join(root, "extension")
	cmd.Env = append(os.Environ(), "MGM_PANEL_HARNESS="+string(env))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("browser tests failed: %v (screenshots in %s)", err, shots)
	}
}

// controlRoutes are what the browser tests may ask of the world around the panel:
// chat messages (signed EventSub), subscriptions (fake Helix), the backend going down
// and coming back (the proxy), and the Extension PubSub messages the fake Helix
// accepted, which the fake Twitch.ext delivers to the panel.
func controlRoutes(t *testing.T, sys *allinonetest.System, helix *fakehelix.Server, proxy *switchProxy) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			UserID string `json:"userId"`
			Text   string `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := sys.Sender().ChatMessage(r.Context(), eventsub.ChatMessageOpts{
			BroadcasterID: sys.Config.BroadcasterID, UserID: in.UserID, UserName: "viewer" + in.UserID,
			Text: in.Text, Badges: []string{"subscriber"},
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})
	mux.HandleFunc("POST /subscriber", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			UserID string `json:"userId"`
			Tier   string `json:"tier"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		helix.SetSubscriber(in.UserID, in.Tier)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /backend", func(w http.ResponseWriter, r *http.Request) {
		up, _ := strconv.ParseBool(r.URL.Query().Get("up"))
		proxy.SetUp(up)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /pubsub", func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.Atoi(r.URL.Query().Get("after"))
		type msg struct {
			Seq           int    `json:"seq"`
			BroadcasterID string `json:"broadcasterId"`
			Target        string `json:"target"`
			Message       string `json:"message"`
		}
		out := []msg{}
		for _, m := range helix.PubSubMessages(after) {
			out = append(out, msg{m.Seq, m.BroadcasterID, m.Target, m.Message})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The fake Twitch.ext in the panel's page calls /pubsub from the panel's origin.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		mux.ServeHTTP(w, r)
	})
}

// switchProxy forwards TCP to the gateway until it is switched down; then every
// connection, open or new, is closed at once, as when the backend's host is gone.
type switchProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newSwitchProxy(t *testing.T, targetURL string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &switchProxy{ln: ln, target: targetURL[len("http://"):], up: true, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p
}

func (p *switchProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *switchProxy) SetUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			_ = c.Close()
		}
	}
}

func (p *switchProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !p.up {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.pipe(c)
	}
}

func (p *switchProxy) pipe(c net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		_ = c.Close()
	}()
	b, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns[b] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, b)
		p.mu.Unlock()
		_ = b.Close()
	}()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

func (p *switchProxy) Close() {
	_ = p.ln.Close()
	p.SetUp(false)
	p.wg.Wait()
}
