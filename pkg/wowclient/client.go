package wowclient

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// MaxLineBytes is the longest chat line the client's edit box accepts, and the longest
// message SendChatMessage lets through.
const MaxLineBytes = 255

// Errors returned by the client.
var (
	ErrLineTooLong    = errors.New("wowclient: chat line longer than 255 bytes")
	ErrInvalidLine    = errors.New("wowclient: chat line holds a line break or invalid UTF-8")
	ErrUnknownCommand = errors.New("wowclient: unknown slash command")
	ErrLoggedOut      = errors.New("wowclient: not logged in")
	ErrClosed         = errors.New("wowclient: client closed")
	ErrNoSuchButton   = errors.New("wowclient: no such button")
	ErrNotClickable   = errors.New("wowclient: button hidden or disabled")
	ErrBagsFull       = errors.New("wowclient: bags are full")
)

// Options configure a Client. Dir and AddonDir are required.
type Options struct {
	// Dir is the client's directory: Logs/WoWChatLog.txt and WTF/ (SavedVariables) live here.
	Dir string
	// AddonDir is the addon's folder (the one holding <Name>.toc).
	AddonDir string
	// Player and Realm name the logged-in character (defaults "Mimiron", "Icecrown").
	Player, Realm string
	// Start is the simulated wall clock at login (default time.Now()).
	Start time.Time
	// Location is the zone of chat-log timestamps and of date() without "!" (default Start's).
	Location *time.Location
	// Frame is the OnUpdate frame length Advance steps in (default 50 ms).
	Frame time.Duration
	// WhoThrottle: the server answers at most one /who per this long; a query sent sooner
	// gets no answer at all (default 5 s).
	WhoThrottle time.Duration
	// WhoLatency is how long an answered /who takes (default 300 ms).
	WhoLatency time.Duration
	// MailLatency is how long SendMail takes to succeed or fail (default 500 ms).
	MailLatency time.Duration
	// MailDeliveryDelay is how late items reach a character of another account
	// (default 1 h, MailDeliveryDelay in worldserver.conf); SameAccount names the
	// streamer's own other characters, which get them at once.
	MailDeliveryDelay time.Duration
	SameAccount       []string
	// Money is the character's copper (default 100,000 gold).
	Money int64
	// Locale is what GetLocale returns and the global strings' language: "enUS"
	// (default) or "ruRU" (locale.go).
	Locale string
	// Faction of the character, "Alliance" (default) or "Horde": /who hides the other
	// one, whispers to it fail, mail to it is refused.
	Faction string
	// UnloggedAddMessage simulates a client that does not write ChatFrame:AddMessage output
	// to WoWChatLog.txt (the risk of docs/product.md §9); chat events (whispers) are still logged.
	UnloggedAddMessage bool
	// FloodCount, FloodDelay and FloodMute are the server's chat flood protection
	// (flood.go): FloodCount messages each sent before the previous one's whole second
	// plus FloodDelay has passed mute the character for FloodMute. Defaults 10, 1 s,
	// 10 s (the cores' ChatFlood.MessageCount/MessageDelay/MuteTime); a negative
	// FloodCount switches it off.
	FloodCount            int
	FloodDelay, FloodMute time.Duration
	// ExtraAddons are folders of other addons loaded beside ours (each with its .toc; no
	// SavedVariables), e.g. a LibWho-style library in a test.
	ExtraAddons []string
	// LogBuffer, LogFlushEvery and LogFlushOnToggle model how the client writes the chat
	// log (chatlog.go): a buffer of LogBuffer bytes written in full chunks (0: every
	// line at once), a timed flush (0: none), a flush when chat logging is switched off.
	LogBuffer        int
	LogFlushEvery    time.Duration
	LogFlushOnToggle bool
	// BagSlots is the number of slots of bags 0..4 (default 16 each).
	BagSlots [5]int
	// CodePage is the ANSI code page of the Windows the game runs on: a character the
	// Desktop posts as WM_CHAR reaches the game through it (input.go, decodeChar), so
	// Cyrillic survives only on 1251. Default 1252 (Western European), 1250 and 1251 are
	// the others modelled.
	CodePage int
	// LoadingTime is how long the loading screen after /reload and entering the world
	// lasts; keys typed meanwhile are lost. Zero (the default) switches at once.
	LoadingTime time.Duration
	// BitUnsigned makes the bit library return unsigned results (default: signed; which
	// one the real client returns is unknown, see bitlib.go).
	BitUnsigned bool
}

// Player is someone on the simulated server's online list.
type Player struct {
	Name, Guild, Race, Class, Zone string
	Level                          int
	// Faction is "Alliance" or "Horde" (default: the character's, Options.Faction).
	Faction string
}

// Item is a bag item.
type Item struct {
	ID        int
	Name      string
	Quality   int
	Count     int
	Soulbound bool
	Quest     bool
	Conjured  bool
	// Duration is the time the item has left (a limited-duration item); its tooltip shows
	// an ITEM_DURATION_* line and the server refuses to mail it.
	Duration time.Duration
	Class    string // GetItemInfo's itemType (default "Trade Goods")
}

// Whisper is a whisper the character sent.
type Whisper struct {
	To, Text  string
	At        time.Time
	Delivered bool // false when the recipient was not online
}

// Mail is a mail the server accepted.
type Mail struct {
	To, Subject, Body string
	Copper            int64
	Items             []Item
	At                time.Time
	// DeliverAt is when it reaches the recipient's mailbox: items to another account's
	// character an hour later (Options.MailDeliveryDelay).
	DeliverAt time.Time
}

// WhoQuery is a /who the client sent.
type WhoQuery struct {
	Filter   string
	At       time.Time
	Answered bool // false: throttled or dropped by the server
}

type scheduled struct {
	at  time.Time
	seq int
	fn  func()
}

type bagRef struct{ bag, slot int }

// Client is a headless WoW 3.3.5a client running one addon. All methods are safe for
// concurrent use: one mutex guards the Lua state and the simulated world.
type Client struct {
	mu   sync.Mutex
	opts Options

	addonName  string
	tocFiles   []string
	savedVars  []string
	savedVarsC []string

	now, boot time.Time
	seq       int
	timers    []scheduled

	// session (Lua) state; rebuilt by login
	L          *lua.LState
	loggedIn   bool
	closed     bool
	widgets    []*widget
	byEvent    map[string][]*widget
	metas      map[string]*lua.LTable
	wantReload bool
	inLua      int
	ns         *lua.LTable // the addon's private table (the second value of ...)
	session    int         // counts logins: a server answer for an older session is not delivered

	// world state; survives /reload
	logging     bool
	logFile     *os.File
	chat        []string
	errs        []error
	online      []Player
	whoToUI     bool
	whoLast     time.Time
	whoHas      bool
	whoDrop     int
	whoRes      []Player
	whoQs       []WhoQuery
	whispers    []Whisper
	mails       []Mail
	failMail    string
	dropMail    int
	silentMails int
	mailOpen    bool
	sendMoney   int64
	sendCOD     int64
	attach      [12]*bagRef
	money       int64
	bags        [5][]*Item
	cursor      *bagRef
	items       map[int]Item
	stop        chan struct{}
	wg          sync.WaitGroup
	started     bool

	// chat log buffer (chatlog.go)
	logBuf    []byte
	lastFlush time.Time

	// chat flood protection (flood.go)
	speakTime, speakCount int64
	muteUntil             int64
	notes                 []string
	dropped               int

	// keyboard (input.go)
	screen        Screen
	focus         *widget
	overrides     map[string][]override
	inCombat      bool
	lost          int
	inputs        []Input
	loginField    string
	loginAttempts int
}

// New starts a client: reads the addon's .toc, opens the chat log, logs in (running the
// addon files in .toc order, restoring SavedVariables, firing ADDON_LOADED, VARIABLES_LOADED,
// PLAYER_LOGIN and PLAYER_ENTERING_WORLD).
func New(opts Options) (*Client, error) {
	if opts.Dir == "" || opts.AddonDir == "" {
		return nil, errors.New("wowclient: Options.Dir and Options.AddonDir are required")
	}
	if opts.Player == "" {
		opts.Player = "Mimiron"
	}
	if opts.Realm == "" {
		opts.Realm = "Icecrown"
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	if opts.Location == nil {
		opts.Location = opts.Start.Location()
	}
	if opts.Frame <= 0 {
		opts.Frame = 50 * time.Millisecond
	}
	if opts.WhoThrottle == 0 {
		opts.WhoThrottle = 5 * time.Second
	}
	if opts.WhoLatency <= 0 {
		opts.WhoLatency = 300 * time.Millisecond
	}
	if opts.MailLatency <= 0 {
		opts.MailLatency = 500 * time.Millisecond
	}
	if opts.MailDeliveryDelay <= 0 {
		opts.MailDeliveryDelay = time.Hour
	}
	if opts.Money == 0 {
		opts.Money = 100_000 * 10_000
	}
	if opts.Locale == "" {
		opts.Locale = "enUS"
	}
	if opts.FloodCount == 0 {
		opts.FloodCount = 10
	}
	if opts.FloodDelay <= 0 {
		opts.FloodDelay = time.Second
	}
	if opts.FloodMute <= 0 {
		opts.FloodMute = 10 * time.Second
	}
	if opts.Faction == "" {
		opts.Faction = "Alliance"
	}
	if opts.CodePage == 0 {
		opts.CodePage = 1252
	}
	for i, n := range opts.BagSlots {
		if n == 0 {
			opts.BagSlots[i] = 16
		}
	}
	c := &Client{
		opts:      opts,
		now:       opts.Start,
		lastFlush: opts.Start,
		boot:      opts.Start.Add(-1000 * time.Second),
		money:     opts.Money,
		items:     map[int]Item{},
		stop:      make(chan struct{}),
	}
	for i, n := range opts.BagSlots {
		c.bags[i] = make([]*Item, n)
	}
	if err := c.readTOC(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "Logs"), 0o755); err != nil {
		return nil, fmt.Errorf("wowclient: %w", err)
	}
	f, err := os.OpenFile(c.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wowclient: open chat log: %w", err)
	}
	c.logFile = f
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.login(); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}
