package wowclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/mimiron/mgm/pkg/domain"
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
	// 10 s (TrinityCore's ChatFlood.MessageCount/MessageDelay/MuteTime); a negative
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

func (c *Client) readTOC() error {
	entries, err := os.ReadDir(c.opts.AddonDir)
	if err != nil {
		return fmt.Errorf("wowclient: read addon dir: %w", err)
	}
	var toc string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".toc") {
			toc = e.Name()
		}
	}
	if toc == "" {
		return errors.New("wowclient: no .toc in " + c.opts.AddonDir)
	}
	c.addonName = strings.TrimSuffix(toc, ".toc")
	if base := filepath.Base(c.opts.AddonDir); base != c.addonName {
		return fmt.Errorf("wowclient: addon folder %q must be named like its toc %q", base, toc)
	}
	f, err := os.Open(filepath.Join(c.opts.AddonDir, toc))
	if err != nil {
		return fmt.Errorf("wowclient: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "##"):
			k, v, _ := strings.Cut(strings.TrimSpace(line[2:]), ":")
			var list []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
			switch strings.TrimSpace(k) {
			case "SavedVariables":
				c.savedVars = list
			case "SavedVariablesPerCharacter":
				c.savedVarsC = list
			}
		case strings.HasPrefix(line, "#"):
		default:
			c.tocFiles = append(c.tocFiles, strings.ReplaceAll(line, `\`, "/"))
		}
	}
	return sc.Err()
}

// tocFiles lists the Lua files of another addon's .toc, in order.
func tocFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wowclient: read addon dir: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".toc") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, strings.ReplaceAll(line, `\`, "/"))
			}
		}
		return out, nil
	}
	return nil, errors.New("wowclient: no .toc in " + dir)
}

// LogPath is <Dir>/Logs/WoWChatLog.txt.
func (c *Client) LogPath() string { return filepath.Join(c.opts.Dir, "Logs", "WoWChatLog.txt") }

// AddonName is the addon's folder name.
func (c *Client) AddonName() string { return c.addonName }

func (c *Client) svPath(perChar bool) string {
	if perChar {
		return filepath.Join(c.opts.Dir, "WTF", "Account", "MGM", c.opts.Realm, c.opts.Player, "SavedVariables", c.addonName+".lua")
	}
	return filepath.Join(c.opts.Dir, "WTF", "Account", "MGM", "SavedVariables", c.addonName+".lua")
}

// SavedVariablesPath is where the account-wide SavedVariables file is written.
func (c *Client) SavedVariablesPath() string { return c.svPath(false) }

func (c *Client) login() error {
	if c.closed {
		return ErrClosed
	}
	c.newState()
	c.session++
	// Addons load in the order of their folder names, case-insensitively (the client's
	// AddOns list order; unknown whether dependencies were honoured first, none here).
	type addon struct {
		name, dir string
		files     []string
	}
	all := []addon{{c.addonName, c.opts.AddonDir, c.tocFiles}}
	for _, dir := range c.opts.ExtraAddons {
		files, err := tocFiles(dir)
		if err != nil {
			return err
		}
		all = append(all, addon{filepath.Base(dir), dir, files})
	}
	sort.SliceStable(all, func(i, j int) bool { return strings.ToLower(all[i].name) < strings.ToLower(all[j].name) })
	for _, a := range all {
		ns := c.L.NewTable()
		if a.name == c.addonName {
			ns = c.addonNS()
		}
		for _, f := range a.files {
			src, err := os.ReadFile(filepath.Join(a.dir, filepath.FromSlash(f)))
			if err != nil {
				return fmt.Errorf("wowclient: toc file %s: %w", f, err)
			}
			fn, err := c.L.Load(strings.NewReader(string(src)), "@Interface/AddOns/"+a.name+"/"+f)
			if err != nil {
				// A syntax error stops that file only, as in the real client.
				c.errs = append(c.errs, fmt.Errorf("load %s: %w", f, err))
				continue
			}
			c.protect(fn, lua.LString(a.name), ns)
		}
	}
	for _, per := range []bool{false, true} {
		src, err := os.ReadFile(c.svPath(per))
		if err == nil {
			if err := c.L.DoString(string(src)); err != nil {
				c.errs = append(c.errs, fmt.Errorf("SavedVariables: %w", err))
			}
		}
	}
	c.loggedIn = true
	c.screen = ScreenWorld
	for _, a := range all {
		c.fire("ADDON_LOADED", lua.LString(a.name))
	}
	c.fire("VARIABLES_LOADED")
	c.fire("PLAYER_LOGIN")
	c.fire("PLAYER_ENTERING_WORLD")
	c.afterLua()
	return nil
}

func (c *Client) addonNS() *lua.LTable {
	if c.ns == nil {
		c.ns = c.L.NewTable()
	}
	return c.ns
}

func (c *Client) logoutLocked() error {
	if !c.loggedIn {
		return ErrLoggedOut
	}
	c.fire("PLAYER_LEAVING_WORLD")
	c.fire("PLAYER_LOGOUT")
	err := c.saveVariables()
	c.L.Close()
	c.L = nil
	c.loggedIn = false
	c.screen = ScreenCharSelect
	c.focus, c.overrides = nil, nil
	c.widgets, c.byEvent = nil, nil
	if c.mailOpen {
		c.mailOpen = false
		c.returnAttachments()
	}
	c.cursor = nil
	return err
}

func (c *Client) reloadLocked() error {
	c.wantReload = false
	if err := c.logoutLocked(); err != nil {
		return err
	}
	if c.opts.LoadingTime > 0 {
		c.enterWorld()
		return nil
	}
	return c.login()
}

// Reload is /reload: SavedVariables are written, the UI torn down and the addon loaded
// again. The world (bags, online list, clock, chat logging, /who throttle) stays.
func (c *Client) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reloadLocked()
}

// Logout fires PLAYER_LOGOUT and writes SavedVariables; chat logging switches off.
func (c *Client) Logout() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.logoutLocked()
	c.logging = false
	return err
}

// Login logs the character in again after Logout.
func (c *Client) Login() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loggedIn {
		return nil
	}
	if c.opts.LoadingTime > 0 {
		c.enterWorld()
		return nil
	}
	return c.login()
}

// Close stops Start's goroutine and releases the Lua state and the log file without
// writing SavedVariables (like a crash; call Logout first to save).
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.stop)
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.L != nil {
		c.L.Close()
		c.L = nil
	}
	c.loggedIn = false
	return c.logFile.Close()
}

// Now is the simulated wall clock.
func (c *Client) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d in frames of Options.Frame: each frame runs what the
// server scheduled (who answers, mail results) and then every visible frame's OnUpdate.
func (c *Client) Advance(d time.Duration) {
	for d > 0 {
		step := min(d, c.opts.Frame)
		d -= step
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		c.frame(step)
		c.mu.Unlock()
	}
}

// Start runs the client in real time: a goroutine advances the clock by the real elapsed
// time every Options.Frame until ctx is done or Close is called.
func (c *Client) Start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.closed {
		return
	}
	c.started = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(c.opts.Frame)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.stop:
				return
			case now := <-t.C:
				d := now.Sub(last)
				last = now
				c.mu.Lock()
				if !c.closed {
					c.frame(d)
				}
				c.mu.Unlock()
			}
		}
	}()
}

func (c *Client) frame(step time.Duration) {
	c.now = c.now.Add(step)
	c.timedFlush()
	for {
		sort.SliceStable(c.timers, func(i, j int) bool {
			if c.timers[i].at.Equal(c.timers[j].at) {
				return c.timers[i].seq < c.timers[j].seq
			}
			return c.timers[i].at.Before(c.timers[j].at)
		})
		if len(c.timers) == 0 || c.timers[0].at.After(c.now) {
			break
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		t.fn()
	}
	if !c.loggedIn {
		return
	}
	for _, w := range append([]*widget(nil), c.widgets...) {
		c.flushTextChanged(w)
	}
	elapsed := lua.LNumber(step.Seconds())
	for _, w := range append([]*widget(nil), c.widgets...) {
		if fn := w.scripts["OnUpdate"]; fn != nil && w.visible() {
			c.protect(fn, w.tbl, elapsed)
		}
	}
	c.afterLua()
}

func (c *Client) after(d time.Duration, fn func()) {
	c.seq++
	c.timers = append(c.timers, scheduled{at: c.now.Add(d), seq: c.seq, fn: fn})
}

// afterLua runs what Lua asked for that cannot happen inside a Lua call (ReloadUI).
func (c *Client) afterLua() {
	if c.wantReload && c.inLua == 0 && c.loggedIn {
		if err := c.reloadLocked(); err != nil {
			c.errs = append(c.errs, err)
		}
	}
}

// protect calls fn in protected mode; a Lua error is recorded (the real client shows it
// in its error frame) and returned.
func (c *Client) protect(fn lua.LValue, args ...lua.LValue) error {
	if c.L == nil {
		return ErrLoggedOut
	}
	c.inLua++
	defer func() { c.inLua-- }()
	err := c.L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, args...)
	if err != nil {
		c.errs = append(c.errs, err)
	}
	return err
}

// Errors are the Lua errors raised so far (the real client's error frame).
func (c *Client) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// TakeErrors returns the Lua errors raised so far and forgets them.
func (c *Client) TakeErrors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	errs := c.errs
	c.errs = nil
	return errs
}

// display shows a line in the default chat frame and writes it to the chat log when
// logging is on. fromEvent marks chat events (whispers, system lines), which the client
// surely logs, as opposed to AddMessage output.
func (c *Client) display(text string, fromEvent bool) {
	c.chat = append(c.chat, text)
	if !c.logging || (!fromEvent && c.opts.UnloggedAddMessage) {
		return
	}
	t := c.now.In(c.opts.Location)
	c.writeLog(fmt.Sprintf("%d/%d %02d:%02d:%02d.%03d  %s\n", int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6, text))
}

// ChatLines are the texts the default chat frame displayed, oldest first (no timestamps).
func (c *Client) ChatLines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.chat...)
}

// Lines is ChatLines.
func (c *Client) Lines() []string { return c.ChatLines() }

// TagLines are the chat lines that hold an MGM tag ("[MGM_").
func (c *Client) TagLines() []string {
	var out []string
	for _, l := range c.ChatLines() {
		if strings.Contains(l, "[MGM_") {
			out = append(out, l)
		}
	}
	return out
}

// LogLines reads WoWChatLog.txt.
func (c *Client) LogLines() ([]string, error) {
	b, err := os.ReadFile(c.LogPath())
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// Logging reports whether chat logging is on (LoggingChat).
func (c *Client) Logging() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logging
}

// Type accepts one chat line as a player (or the Desktop's injector) types it into the
// chat edit box: "/run …", "/script …", "/who …", "/w Name text", "/reload", an addon's
// slash command, or plain text (said). Lines over 255 bytes are rejected like the client's
// edit box does. A Lua error in /run is returned (and recorded in Errors).
func (c *Client) Type(line string) error {
	if len(line) > MaxLineBytes {
		return ErrLineTooLong
	}
	if strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
		return ErrInvalidLine
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if !c.loggedIn {
		return ErrLoggedOut
	}
	if c.screen != ScreenWorld {
		return ErrNotInWorld
	}
	defer c.afterLua()
	return c.chatLine(line)
}

// chatLine is what the chat edit box does with a line when Enter sends it.
func (c *Client) chatLine(line string) error {
	text := strings.TrimLeft(line, " ")
	if text == "" {
		return nil
	}
	if !strings.HasPrefix(text, "/") {
		return c.callGlobal("SendChatMessage", lua.LString(text), lua.LString("SAY"))
	}
	cmd, rest, _ := strings.Cut(text, " ")
	cmd = strings.ToLower(cmd)
	rest = strings.TrimSpace(rest)
	switch cmd {
	case "/run", "/script":
		fn, err := c.L.LoadString(rest)
		if err != nil {
			c.errs = append(c.errs, err)
			return err
		}
		return c.protect(fn)
	case "/who":
		return c.callGlobal("SendWho", lua.LString(rest))
	case "/w", "/whisper", "/t", "/tell", "/send":
		to, msg, _ := strings.Cut(rest, " ")
		if to == "" || strings.TrimSpace(msg) == "" {
			return nil
		}
		return c.callGlobal("SendChatMessage", lua.LString(msg), lua.LString("WHISPER"), lua.LNil, lua.LString(to))
	case "/s", "/say":
		return c.callGlobal("SendChatMessage", lua.LString(rest), lua.LString("SAY"))
	case "/reload", "/reloadui":
		c.wantReload = true
		return nil
	case "/console":
		if strings.EqualFold(rest, "reloadui") {
			c.wantReload = true
		}
		return nil
	}
	if fn := c.slashHandler(cmd); fn != nil {
		return c.protect(fn, lua.LString(rest), lua.LNil)
	}
	c.display("Type '/help' for a listing of a few commands.", true)
	return fmt.Errorf("%w: %s", ErrUnknownCommand, cmd)
}

// slashHandler finds SlashCmdList[KEY] for the SLASH_KEYn global equal to cmd.
func (c *Client) slashHandler(cmd string) lua.LValue {
	list, ok := c.L.GetGlobal("SlashCmdList").(*lua.LTable)
	if !ok {
		return nil
	}
	var found lua.LValue
	c.L.ForEach(c.L.G.Global, func(k, v lua.LValue) {
		ks, ok := k.(lua.LString)
		vs, ok2 := v.(lua.LString)
		if found != nil || !ok || !ok2 || !strings.HasPrefix(string(ks), "SLASH_") || !strings.EqualFold(string(vs), cmd) {
			return
		}
		key := strings.TrimRight(string(ks)[len("SLASH_"):], "0123456789")
		if fn, ok := list.RawGetString(key).(*lua.LFunction); ok {
			found = fn
		}
	})
	return found
}

func (c *Client) callGlobal(name string, args ...lua.LValue) error {
	return c.protect(c.L.GetGlobal(name), args...)
}

// Run runs Lua source as /run would, without the 255-byte limit (test set-up).
func (c *Client) Run(src string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	fn, err := c.L.LoadString(src)
	if err != nil {
		return err
	}
	return c.protect(fn)
}

// Call calls a global Lua function with string arguments, as /run Fn("a","b") would but
// without quoting or the 255-byte limit (test set-up, fuzzing).
func (c *Client) Call(fn string, args ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	lv := make([]lua.LValue, len(args))
	for i, a := range args {
		lv[i] = lua.LString(a)
	}
	return c.callGlobal(fn, lv...)
}

// Eval runs a Lua expression and returns its value converted to Go (string, float64,
// bool, nil, or map/slice for tables).
func (c *Client) Eval(expr string) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return nil, ErrLoggedOut
	}
	fn, err := c.L.LoadString("return " + expr)
	if err != nil {
		return nil, err
	}
	if err := c.L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}); err != nil {
		return nil, err
	}
	v := c.L.Get(-1)
	c.L.Pop(1)
	return toGo(v, 0), nil
}

func toGo(v lua.LValue, depth int) any {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case lua.LBool:
		return bool(v)
	case *lua.LTable:
		if depth > 20 {
			return nil
		}
		if n := v.Len(); n > 0 {
			out := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				out = append(out, toGo(v.RawGetInt(i), depth+1))
			}
			return out
		}
		out := map[string]any{}
		v.ForEach(func(k, val lua.LValue) { out[k.String()] = toGo(val, depth+1) })
		return out
	}
	return nil
}

// SetOnline replaces the server's online list with level-80 characters of these names.
func (c *Client) SetOnline(names ...string) {
	ps := make([]Player, 0, len(names))
	for _, n := range names {
		ps = append(ps, Player{Name: n})
	}
	c.SetOnlinePlayers(ps...)
}

// SetOnlinePlayers replaces the server's online list.
func (c *Client) SetOnlinePlayers(ps ...Player) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.online = nil
	for _, p := range ps {
		if p.Level == 0 {
			p.Level = 80
		}
		if p.Race == "" {
			p.Race = "Human"
		}
		if p.Class == "" {
			p.Class = "Warrior"
		}
		if p.Zone == "" {
			p.Zone = "Dalaran"
		}
		if p.Faction == "" {
			p.Faction = c.opts.Faction
		}
		c.online = append(c.online, p)
	}
}

func (c *Client) isOnline(name string) bool {
	if domain.SameName(stripRealm(name), c.opts.Player) {
		return true
	}
	for _, p := range c.online {
		if domain.SameName(stripRealm(name), p.Name) {
			return true
		}
	}
	return false
}

func stripRealm(name string) string {
	if i := strings.IndexByte(name, '-'); i >= 0 {
		return name[:i]
	}
	return name
}

// DropWhoQueries makes the server ignore the next n /who queries (lag, lost packets).
func (c *Client) DropWhoQueries(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.whoDrop = n
}

// WhoQueries are the /who queries sent so far.
func (c *Client) WhoQueries() []WhoQuery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]WhoQuery(nil), c.whoQs...)
}

// Whisper delivers a whisper from a simulated player (CHAT_MSG_WHISPER).
func (c *Client) Whisper(from, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	c.fireChat("CHAT_MSG_WHISPER", text, from)
	return nil
}

// SentWhispers are the whispers the character sent.
func (c *Client) SentWhispers() []Whisper {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Whisper(nil), c.whispers...)
}

// SentMails are the mails the server accepted.
func (c *Client) SentMails() []Mail {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Mail(nil), c.mails...)
}

// FailNextMail makes the next SendMail fail with MAIL_FAILED (and UI_ERROR_MESSAGE reason).
func (c *Client) FailNextMail(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if reason == "" {
		reason = "Internal mail database error."
	}
	c.failMail = reason
}

// OpenMailbox is right-clicking a mailbox: MAIL_SHOW.
func (c *Client) OpenMailbox() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	if !c.mailOpen {
		c.mailOpen = true
		c.fire("MAIL_SHOW")
	}
	return nil
}

// CloseMailbox is walking away from the mailbox: MAIL_CLOSED; attachments go back to the bags.
func (c *Client) CloseMailbox() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	if c.mailOpen {
		c.mailOpen = false
		c.returnAttachments()
		c.fire("MAIL_CLOSED")
	}
	return nil
}

func (c *Client) returnAttachments() {
	for i := range c.attach {
		c.attach[i] = nil
	}
	c.sendMoney, c.sendCOD = 0, 0
}

// Money is the character's copper.
func (c *Client) Money() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.money
}

// AddBagItem puts an item into the first free bag slot.
func (c *Client) AddBagItem(it Item) (bag, slot int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it.Count <= 0 {
		it.Count = 1
	}
	if it.Class == "" {
		it.Class = "Trade Goods"
		if it.Quest {
			it.Class = "Quest"
		}
	}
	for b := range c.bags {
		for s := range c.bags[b] {
			if c.bags[b][s] == nil {
				cp := it
				c.bags[b][s] = &cp
				c.items[it.ID] = Item{ID: it.ID, Name: it.Name, Quality: it.Quality, Class: it.Class, Quest: it.Quest}
				if c.loggedIn {
					c.fire("BAG_UPDATE", lua.LNumber(b))
				}
				return b, s + 1, nil
			}
		}
	}
	return 0, 0, ErrBagsFull
}

// BagItems lists what is in the bags (bag, 1-based slot, item).
func (c *Client) BagItems() []BagSlot {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []BagSlot
	for b := range c.bags {
		for s, it := range c.bags[b] {
			if it != nil {
				out = append(out, BagSlot{Bag: b, Slot: s + 1, Item: *it})
			}
		}
	}
	return out
}

// BagSlot is an occupied bag slot.
type BagSlot struct {
	Bag, Slot int
	Item      Item
}

// ClickButton clicks a named, visible and enabled button (e.g. the addon's Prepare Mail
// button or the mailbox's SendMailMailButton) as the player would.
func (c *Client) ClickButton(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	w := c.widgetByName(name)
	if w == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchButton, name)
	}
	// A click lands on a frame after whatever happened before it: the text changes still
	// waiting for their OnTextChanged (which may enable the button) run first.
	for _, x := range append([]*widget(nil), c.widgets...) {
		c.flushTextChanged(x)
	}
	if !w.visible() || !w.enabled {
		return fmt.Errorf("%w: %s", ErrNotClickable, name)
	}
	return w.click()
}

// Shown reports whether the named frame is visible.
func (c *Client) Shown(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.widgetByName(name)
	return w != nil && w.visible()
}

// Text is the text of the named widget (edit box, font string, button).
func (c *Client) Text(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.widgetByName(name); w != nil {
		return w.text
	}
	return ""
}

// SetText sets the text of a named edit box as the player typing into it would.
func (c *Client) SetText(name, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.widgetByName(name)
	if w == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchButton, name)
	}
	if w.text != text {
		w.text = text
		w.cursor = len(text)
		w.markChanged(true)
	}
	return nil
}

func (c *Client) widgetByName(name string) *widget {
	if c.L == nil {
		return nil
	}
	t, ok := c.L.GetGlobal(name).(*lua.LTable)
	if !ok {
		return nil
	}
	return widgetOf(t)
}

// Popup is the StaticPopup dialog showing ("SEND_MONEY" …), "" for none.
func (c *Client) Popup() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.widgetByName("StaticPopup1")
	if w == nil || !w.visible() {
		return ""
	}
	return lua.LVAsString(w.tbl.RawGetString("which"))
}

// PressSend is the streamer sending the prepared mail: the mailbox's Send button and,
// when it asks to confirm the money (the SEND_MONEY popup), Accept.
func (c *Client) PressSend() error {
	if err := c.ClickButton("SendMailMailButton"); err != nil {
		return err
	}
	if c.Popup() == "SEND_MONEY" {
		return c.ClickButton("StaticPopup1Button1")
	}
	return nil
}
