// Package app is the Desktop companion itself: it follows the chat log and delivers each
// tag to the backend once (durably), drives the game (the /who of each spin, the consent
// whisper of each new winner, ReceiveGold on Sync), runs the log bridge self-test, and
// keeps the state the streamer's window shows. Everything typed into the game goes
// through one inject.Queue.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mimiron/mgm/desktop/api"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/tagsig"
)

// Options configure an App. Zero durations take the defaults shown.
type Options struct {
	// Dir holds the journal (desktop.db). Required.
	Dir string
	// Store persists settings and the API key; nil keeps them in memory (tests).
	Store *settings.Store
	// Settings and APIKey are the starting values when Store is nil.
	Settings settings.Settings
	APIKey   string
	// Injector types into the game; nil picks the platform's from the settings (and
	// follows changes of strategy and process name).
	Injector inject.Injector
	// PollEvery: candidate and pending payouts are polled this often (2 s).
	PollEvery time.Duration
	// TailEvery: the chat log is read this often (250 ms).
	TailEvery time.Duration
	// PingTimeout: the self-test gives up after this long without its echo (30 s).
	PingTimeout time.Duration
	// BackoffMin and BackoffMax bound the retry delays of tag delivery (500 ms, 30 s).
	BackoffMin, BackoffMax time.Duration
	// TypeGap is the pause between two commands typed in a row (150 ms; 0 is allowed).
	TypeGap *time.Duration
	// NoStartPing: the Desktop does not press the self-test key by itself (tests; the
	// window's Ping still does). Without a pong nothing is typed.
	NoStartPing bool
	// AckTimeout: a typed command not acknowledged by the addon this long after it was
	// typed is typed again, after a new self-test (20 s); MaxAttempts typings without an
	// acknowledgement fail it (5). MaxInFlight commands wait for their acknowledgement at
	// most at once (4).
	AckTimeout  time.Duration
	MaxAttempts int
	MaxInFlight int
	// ProbeEvery: while the game has not answered, the self-test key is pressed this
	// often (5 s). CommandTick: the typing loop's beat (200 ms).
	ProbeEvery, CommandTick time.Duration
	// LiveFor: a line of the chat log — a pong of the self-test key, an acknowledgement,
	// anyone's chat — vouches for the game being in the world this long after it was
	// printed; a command to type later waits for a new pong (10 s; gate.go).
	LiveFor time.Duration
	// BridgeKey and BridgeSelf are the starting pairing when Store is nil (tests): the
	// 32-byte key shared with the addon and the streamer's character.
	BridgeKey  []byte
	BridgeSelf string
	// Logf receives every event line (nil: stderr).
	Logf func(format string, args ...any)
	// LocalAppData is %LOCALAPPDATA%, where UAC keeps the VirtualStore copy of a log the
	// game writes under Program Files (default: the environment's).
	LocalAppData string
}

// App is one running Desktop.
type App struct {
	opts  Options
	j     *journal.Journal
	api   *api.Client
	q     *inject.Queue
	fixed bool // injector given by the caller

	mu         sync.Mutex
	set        settings.Settings
	key        string
	wow        Status
	apiStat    Status
	logStat    Status
	bridge     Status
	payouts    []events.Payout
	candidate  *events.Candidate
	events     []Event
	ping       *pingState            // the latest self-test: it owns the bridge status
	pings      map[string]*pingState // every self-test still waiting for its pong, by nonce
	game       gameState             // what the typing loop knows of the game (commands.go)
	pairAsked  time.Time             // a pong started a pairing (one at a time: auth.go)
	tailCancel context.CancelFunc
	tailPath   string
	gifts      []events.GiftRequest // the last gift list (active first, then Pending)
	giftStat   Status

	// the bridge's pairing with the addon (auth.go)
	bkey         tagsig.Key // the key the addon's tags are signed with
	self         string
	pairStat     Status
	pairings     map[string]*pairing
	pongSigs     map[string]pongSig
	pongSeen     map[string]time.Time // pong nonces read (auth.go: a repeat changes nothing)
	tent         *tentative           // a pairing's key until the addon shows it holds it
	suspect      time.Time            // a pong without this Desktop's key was read: checking (auth.go)
	suspectPress time.Time
	emitMode     string // where the addon prints its tags, from the last self-test: chatframe | whisper
	saveErr      error
	refused      int
	gameDir      string          // the running game's folder (the injector's Locator)
	clients      []GameClient    // the game clients found when several run
	missing      map[string]bool // log locations seen without a file
	refusedPong  string          // why the last [MGM_PONG] line was refused (the self-test says it)

	giftMu sync.Mutex // one gift command typed (and marked) at a time

	runCtx context.Context // lives as long as Run

	wakeDeliver chan struct{}
	wakeCmd     chan struct{}
	wakePoll    chan struct{}
}

// Status is one light in the window: ok, warn, error or unknown, with a sentence.
type Status struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

// Event is one line of the window's event log.
type Event struct {
	At    time.Time `json:"at"`
	Level string    `json:"level"`
	Text  string    `json:"text"`
}

const maxEvents = 300

// New opens the journal and prepares the App; Run starts it.
func New(opts Options) (*App, error) {
	if opts.Dir == "" {
		return nil, errors.New("app: Options.Dir is required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.PollEvery, 2*time.Second)
	def(&opts.TailEvery, 250*time.Millisecond)
	def(&opts.PingTimeout, 30*time.Second)
	def(&opts.BackoffMin, 500*time.Millisecond)
	def(&opts.BackoffMax, 30*time.Second)
	if opts.LocalAppData == "" {
		opts.LocalAppData = os.Getenv("LOCALAPPDATA")
	}
	def(&opts.AckTimeout, 20*time.Second)
	def(&opts.ProbeEvery, 5*time.Second)
	def(&opts.CommandTick, 200*time.Millisecond)
	def(&opts.LiveFor, 10*time.Second)
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 4
	}
	if opts.TypeGap == nil {
		g := 150 * time.Millisecond
		opts.TypeGap = &g
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	a := &App{
		opts:        opts,
		set:         opts.Settings,
		key:         opts.APIKey,
		wow:         Status{"unknown", "looking for the game"},
		apiStat:     Status{"unknown", "not contacted yet"},
		logStat:     Status{"unknown", "not started"},
		bridge:      Status{"unknown", "self-test not run yet"},
		giftStat:    Status{"unknown", "not polled yet"},
		wakeDeliver: make(chan struct{}, 1),
		wakeCmd:     make(chan struct{}, 1),
		wakePoll:    make(chan struct{}, 1),
	}
	if opts.Store != nil {
		s, err := opts.Store.Load()
		if err != nil {
			return nil, err
		}
		k, err := opts.Store.LoadKey()
		if err != nil {
			// A DPAPI blob sealed for another Windows user or machine (a profile moved
			// to a new PC) cannot be opened: the Desktop starts without the key and says
			// so, rather than not starting at all.
			a.eventf("warn", "the stored API key could not be read (%v): enter it again in Settings", err)
			a.apiStat = Status{"error", "the stored API key could not be read (was this Windows profile moved?): enter it again in Settings"}
			k = ""
		}
		a.set, a.key = s, k
	}
	a.loadBridge()
	j, err := journal.Open(filepath.Join(opts.Dir, "desktop.db"))
	if err != nil {
		return nil, err
	}
	a.j = j
	if err := j.Prune(30 * 24 * time.Hour); err != nil {
		a.eventf("warn", "journal prune: %v", err)
	}
	a.api = api.New(func() api.Settings {
		a.mu.Lock()
		defer a.mu.Unlock()
		return api.Settings{BaseURL: a.set.APIBaseURL, APIKey: a.key}
	})
	inj := opts.Injector
	if inj == nil {
		inj = inject.NewPlatform(a.set.ProcessName, a.set.Strategy)
	} else {
		a.fixed = true
	}
	a.q = inject.NewQueue(inj)

	return a, nil
}

// Journal exposes the journal (tests, diagnostics).
func (a *App) Journal() *journal.Journal { return a.j }

// Run runs the Desktop until ctx is done, then closes the journal.
func (a *App) Run(ctx context.Context) error {
	defer a.j.Close()
	a.mu.Lock()
	a.runCtx = ctx
	a.mu.Unlock()
	a.eventf("info", "Desktop started (injector: %s)", a.q.Injector().Name())
	var wg sync.WaitGroup
	for _, f := range []func(context.Context){a.q.Run, a.tailLoop, a.deliverLoop, a.pollLoop, a.commandLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

func (a *App) eventf(level, format string, args ...any) {
	e := Event{At: time.Now(), Level: level, Text: fmt.Sprintf(format, args...)}
	a.mu.Lock()
	a.events = append(a.events, e)
	if len(a.events) > maxEvents {
		a.events = append([]Event(nil), a.events[len(a.events)-maxEvents:]...)
	}
	a.mu.Unlock()
	if a.opts.Logf != nil {
		a.opts.Logf("%s %s", level, e.Text)
	} else {
		fmt.Fprintf(os.Stderr, "%s %-5s %s\n", e.At.Format("15:04:05.000"), level, e.Text)
	}
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (a *App) setStatus(dst *Status, level, format string, args ...any) {
	a.mu.Lock()
	*dst = Status{Level: level, Text: fmt.Sprintf(format, args...)}
	a.mu.Unlock()
}

// Settings are the current settings.
func (a *App) Settings() settings.Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.set
}

// UpdateSettings validates and applies new settings; key == nil keeps the stored key.
func (a *App) UpdateSettings(s settings.Settings, key *string) error {
	s, err := s.Validate()
	if err != nil {
		return err
	}
	if a.opts.Store != nil {
		if err := a.opts.Store.Save(s); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		if key != nil {
			if err := a.opts.Store.SaveKey(*key); err != nil {
				return err
			}
		}
	}
	a.mu.Lock()
	old := a.set
	a.set = s
	if key != nil {
		a.key = *key
	}
	cancel := a.tailCancel
	pathChanged := old.LogPath != s.LogPath || old.WoWDir != s.WoWDir
	a.mu.Unlock()
	if !a.fixed && (old.ProcessName != s.ProcessName || old.Strategy != s.Strategy) {
		a.q.SetInjector(inject.NewPlatform(s.ProcessName, s.Strategy))
	}
	if pathChanged && cancel != nil {
		cancel() // the tail loop restarts on the new path
	}
	a.eventf("info", "settings saved")
	wake(a.wakePoll)
	wake(a.wakeDeliver)
	return nil
}

// TestConnection checks the API base URL and key.
func (a *App) TestConnection(ctx context.Context) (string, error) {
	msg, err := a.api.Test(ctx)
	if err != nil {
		a.setStatus(&a.apiStat, "error", "%v", err)
		return "", err
	}
	a.setStatus(&a.apiStat, "ok", "%s", msg)
	return msg, nil
}
