// Package loop assembles the whole gold loop on one machine: the backend in one process
// (real services, embedded NATS, PostgreSQL, fake Helix), the headless WoW client
// running the real addon, and the Desktop typing into it. The loop test and the demo
// both use it.
package loop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/wowclient"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

// Backend is the one-process backend, restartable on the same ports, database and NATS
// store (so a test can stop it and bring it back).
type Backend struct {
	Config  config.Config
	DataDir string
	Helix   *fakehelix.Server
	Log     *zap.Logger
	Sys     *allinone.System
}

// NewBackend prepares a backend on fixed free loopback ports with the given database
// and spin interval. Start starts it.
func NewBackend(dbURL, dataDir string, spin time.Duration, log *zap.Logger) (*Backend, error) {
	cfg := config.Defaults()
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ingestAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg.HTTPAddr, cfg.IngestAddr, cfg.IngestURL = httpAddr, ingestAddr, "http://"+ingestAddr
	cfg.DatabaseURL = dbURL
	cfg.SpinInterval = spin
	cfg.BroadcasterID = allinone.DevBroadcasterID
	cfg.EventSubSecret = allinone.DevEventSubSecret
	cfg.ExtensionSecrets = []string{allinone.DevExtensionSecret}
	cfg.APIKey = allinone.DevAPIKey
	cfg.SenderID = "100000002"
	cfg.LogLevel = "warn"
	cfg.ViewerReadPerMin = 1_000_000
	cfg.DesktopPerMin = 1_000_000
	if log == nil {
		log = zap.NewNop()
	}
	return &Backend{Config: cfg, DataDir: dataDir, Helix: fakehelix.New(), Log: log}, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// URL is the public HTTP base (stable across restarts).
func (b *Backend) URL() string { return "http://" + b.Config.HTTPAddr }

// Start starts (or restarts) the backend and waits until every service answers.
func (b *Backend) Start(ctx context.Context) error {
	if b.Sys != nil {
		return errors.New("backend already running")
	}
	var sys *allinone.System
	var err error
	// The ports were free when picked; after a stop the kernel may need a moment.
	for i := 0; i < 50; i++ {
		sys, err = allinone.Start(ctx, allinone.Options{Config: b.Config, DataDir: b.DataDir, Log: b.Log, FakeHelix: b.Helix})
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := sys.WaitReady(wctx); err != nil {
		sys.Stop()
		return err
	}
	b.Sys = sys
	return nil
}

// Stop stops the backend (the fake Helix stays up; Close ends it).
func (b *Backend) Stop() {
	if b.Sys != nil {
		b.Sys.Stop()
		b.Sys = nil
	}
}

// Close stops everything.
func (b *Backend) Close() {
	b.Stop()
	b.Helix.Close()
}

// Chat posts a signed chat message from a subscriber through the public webhook, as
// Twitch's EventSub would.
func (b *Backend) Chat(ctx context.Context, userID, userName, text string) error {
	s := eventsub.NewSender(b.Config.EventSubSecret, b.URL()+"/api/twitch/eventsub")
	resp, err := s.ChatMessage(ctx, eventsub.ChatMessageOpts{
		BroadcasterID: b.Config.BroadcasterID, UserID: userID, UserName: userName,
		Text: text, Badges: []string{"subscriber"},
	})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// AddonDir finds addon/MimironsGoldOMatic from the working directory upwards
// (MGM_ADDON_DIR overrides it, to run the loop against another copy of the addon).
func AddonDir() (string, error) {
	if d := os.Getenv("MGM_ADDON_DIR"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "addon", "MimironsGoldOMatic")
		if _, err := os.Stat(filepath.Join(p, "MimironsGoldOMatic.toc")); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("addon/MimironsGoldOMatic not found above the working directory")
		}
		dir = parent
	}
}

// StartGame starts a headless client in dir running the real addon, in real time.
func StartGame(ctx context.Context, dir string, mods ...func(*wowclient.Options)) (*wowclient.Client, error) {
	addon, err := AddonDir()
	if err != nil {
		return nil, err
	}
	opts := wowclient.Options{Dir: dir, AddonDir: addon, Player: "Mimiron", Realm: "Icecrown"}
	for _, m := range mods {
		m(&opts)
	}
	c, err := wowclient.New(opts)
	if err != nil {
		return nil, err
	}
	c.Start(ctx)
	return c, nil
}

// Desktop is a running Desktop (app.App) that can be stopped and started again on the
// same state directory.
type Desktop struct {
	App      *app.App
	StateDir string
	Inj      *inject.Headless
	Options  app.Options

	cancel context.CancelFunc
	done   chan struct{}
}

// NewDesktop prepares a Desktop talking to apiURL with key, following logPath and typing
// into the headless client through inj.
func NewDesktop(stateDir, apiURL, key, logPath string, inj *inject.Headless, logf func(string, ...any)) *Desktop {
	gap := time.Duration(0)
	s := settings.Defaults()
	s.APIBaseURL, s.LogPath, s.WoWDir = apiURL, logPath, filepath.Dir(filepath.Dir(logPath))
	return &Desktop{StateDir: stateDir, Inj: inj, Options: app.Options{
		Dir: stateDir, Settings: s, APIKey: key, Injector: inj,
		PollEvery: 200 * time.Millisecond, TailEvery: 50 * time.Millisecond, PingTimeout: 10 * time.Second,
		ProbeEvery: 500 * time.Millisecond, AckTimeout: 6 * time.Second, CommandTick: 50 * time.Millisecond,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second, TypeGap: &gap, Logf: logf,
	}}
}

// Start starts the Desktop and waits until it follows the chat log. Settings and the
// API key come from Options; the bridge pairing is kept in <StateDir>/config, as a
// real Desktop keeps it, so a restarted Desktop still holds the addon's key.
func (d *Desktop) Start(ctx context.Context) error {
	opts := d.Options
	if opts.Store == nil {
		store := &settings.Store{Dir: filepath.Join(d.StateDir, "config")}
		if err := store.Save(opts.Settings); err != nil {
			return err
		}
		if err := store.SaveKey(opts.APIKey); err != nil {
			return err
		}
		opts.Store = store
	}
	a, err := app.New(opts)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	d.App, d.cancel, d.done = a, cancel, make(chan struct{})
	go func() {
		defer close(d.done)
		_ = a.Run(rctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for a.State().Log.Level != "ok" {
		if time.Now().After(deadline) {
			return fmt.Errorf("Desktop does not follow the chat log: %s", a.State().Log.Text)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Stop stops the Desktop (its journal closes; Start runs it again).
func (d *Desktop) Stop() {
	if d.cancel != nil {
		d.cancel()
		<-d.done
		d.cancel = nil
	}
}

// Keys is the headless game as the Desktop's injector sees it: strokes become window
// messages (wowclient Input) posted in one pump. It remembers every command typed, as
// the call it stands for ("/run <call>", escapes decoded), for tests to read.
type Keys struct {
	*wowclient.Client
	mu    sync.Mutex
	calls []string
}

// NewKeys wraps a headless client.
func NewKeys(c *wowclient.Client) *Keys { return &Keys{Client: c} }

var (
	commandRe = regexp.MustCompile("^`MGM`[A-Za-z0-9]+ (.*)`$")
	escapeRe  = regexp.MustCompile(`\\([0-9]{3})`)
)

// PostStrokes posts the strokes (inject.Poster).
func (k *Keys) PostStrokes(strokes []inject.Stroke) error {
	in := make([]wowclient.Input, 0, len(strokes))
	var text []rune
	for _, s := range strokes {
		in = append(in, wowclient.Input{Key: s.Key, Char: s.Char})
		if s.Key == "" {
			text = append(text, rune(s.Char))
		}
	}
	if m := commandRe.FindStringSubmatch(string(text)); m != nil {
		call := escapeRe.ReplaceAllStringFunc(m[1], func(e string) string {
			n, _ := strconv.Atoi(e[1:])
			return string([]byte{byte(n)})
		})
		k.mu.Lock()
		k.calls = append(k.calls, "/run "+call)
		k.mu.Unlock()
	}
	return k.Post(in...)
}

// Calls are the commands typed so far, as "/run <call>".
func (k *Keys) Calls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.calls...)
}
