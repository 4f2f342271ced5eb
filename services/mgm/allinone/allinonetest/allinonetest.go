// Package allinonetest starts the whole backend in one process for a test (the
// allinone package's Start, on a fresh database and an embedded NATS server) and
// talks to it the way the Extension, the Desktop and Twitch do.
package allinonetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

// System is a running backend with a test's helpers.
type System struct {
	*allinone.System
}

// Start starts the whole backend for a test: a fresh PostgreSQL database, an embedded
// NATS server in a temporary directory, a fake Helix, every service, on 127.0.0.1
// ports picked by the kernel. mutate may adjust the configuration first.
func Start(t testing.TB, mutate func(*config.Config)) *System {
	t.Helper()
	return StartWith(t, mutate, allinone.Options{})
}

// StartWith is Start with options (a clock, a subset of services, a pre-programmed
// fake Helix).
func StartWith(t testing.TB, mutate func(*config.Config), o allinone.Options) *System {
	t.Helper()
	cfg := config.Defaults()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.IngestAddr = "127.0.0.1:0"
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.BroadcasterID = allinone.DevBroadcasterID
	cfg.EventSubSecret = allinone.DevEventSubSecret
	cfg.ExtensionSecrets = []string{allinone.DevExtensionSecret}
	cfg.APIKey = allinone.DevAPIKey
	cfg.SenderID = "100000002"
	cfg.LogLevel = "warn"
	// Tests poll as fast as they like; the limits themselves are tested in the gateway.
	cfg.ViewerReadPerMin = 1_000_000
	cfg.DesktopPerMin = 1_000_000
	if mutate != nil {
		mutate(&cfg)
	}
	if o.FakeHelix == nil {
		o.FakeHelix = fakehelix.New()
		t.Cleanup(o.FakeHelix.Close)
	}
	o.Config = cfg
	o.DataDir = t.TempDir()
	if o.Log == nil {
		o.Log = testenv.Logger(t)
	}
	sys, err := allinone.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start system: %v", err)
	}
	t.Cleanup(sys.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sys.WaitReady(ctx); err != nil {
		t.Fatalf("system not ready: %v", err)
	}
	return &System{sys}
}

// Do sends a request to the gateway with either a viewer token or the API key and
// decodes a JSON answer into out (when not nil). It returns the status and raw body.
func (s *System) Do(t testing.TB, method, path, auth string, body any, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case auth == "apikey":
		req.Header.Set("X-MGM-ApiKey", s.Config.APIKey)
	case auth != "":
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// Enroll posts a signed `!twgold <name>` chat message from a subscriber.
func (s *System) Enroll(t testing.TB, userID, name string) {
	t.Helper()
	resp, err := s.Sender().ChatMessage(context.Background(), eventsub.ChatMessageOpts{
		BroadcasterID: s.Config.BroadcasterID, UserID: userID, UserName: "viewer" + userID,
		Text: fmt.Sprintf("!twgold %s", name), Badges: []string{"subscriber"},
	})
	if err != nil {
		t.Fatalf("post chat message: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}
