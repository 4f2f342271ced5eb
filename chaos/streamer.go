package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/wowclient"
)

// streamer is the Desktop role of the run: the real Desktop (desktop/app) following the
// chat log of a headless WoW client that runs the real addon, plus the streamer's and
// the winners' hands — a winner answers the consent whisper, the streamer presses
// Sync, Prepare Mail and Send, and picks the first giftable item for a gift request.
type streamer struct {
	game *wowclient.Client
	app  *app.App
	logf *os.File

	mu        sync.Mutex
	whispers  int             // consent whispers already answered
	selected  map[string]bool // gift requests an item was picked for
	lastSync  time.Time
	mailFails int
	errs      []string
}

// giftItems are the bag stacks gift requests are served from: one item per gift, each
// mailed whole.
var giftItems = []wowclient.Item{
	{ID: 33470, Name: "Frostweave Cloth", Quality: 1, Count: 20},
	{ID: 36912, Name: "Saronite Ore", Quality: 1, Count: 20},
	{ID: 37701, Name: "Crystallized Earth", Quality: 2, Count: 10},
	{ID: 34054, Name: "Infinite Dust", Quality: 1, Count: 20},
	{ID: 43102, Name: "Frozen Orb", Quality: 2, Count: 3},
	{ID: 36913, Name: "Saronite Bar", Quality: 1, Count: 20},
	{ID: 35627, Name: "Eternal Shadow", Quality: 2, Count: 5},
	{ID: 34052, Name: "Dream Shard", Quality: 3, Count: 4},
}

func addonDir(root string) string { return filepath.Join(root, "addon", "MimironsGoldOMatic") }

// startStreamer logs the headless client in with online, starts the Desktop against
// apiURL and waits until it follows the chat log.
func startStreamer(ctx context.Context, root, dir, apiURL string, online []string, spin time.Duration) (*streamer, error) {
	logf, err := os.Create(filepath.Join(dir, "logs", "desktop.log"))
	if err != nil {
		return nil, err
	}
	// The run compresses time: spins every few seconds instead of 300 s. The server's
	// /who throttle (pkg/wowclient: one answered query per 5 s) is scaled with it, so
	// each spin's /who is answered within its cycle; the throttle itself is tested in
	// pkg/wowclient and the addon.
	throttle := spin / 2
	if throttle > 5*time.Second {
		throttle = 5 * time.Second
	}
	game, err := wowclient.New(wowclient.Options{
		Dir: filepath.Join(dir, "wow"), AddonDir: addonDir(root), Player: "Mimiron", Realm: "Icecrown",
		WhoThrottle: throttle,
		Money:       200_000 * 10_000, // 200,000 g: room for 200 payouts under the 3.3.5 gold cap
	})
	if err != nil {
		return nil, err
	}
	game.Start(ctx)
	// The addon keeps its own gap after every /who (Who.lua W.GAP, 5.5 s for the 5 s
	// server throttle); it is compressed by the same factor.
	gap0, err := game.Eval("MimironsGoldOMatic.Who.GAP")
	if g, ok := gap0.(float64); err != nil || !ok || g <= 0 {
		return nil, fmt.Errorf("the addon's /who gap (MimironsGoldOMatic.Who.GAP) is not readable: %v %v", gap0, err)
	}
	if err := game.Run(fmt.Sprintf("MimironsGoldOMatic.Who.GAP = %.3f", gap0.(float64)*throttle.Seconds()/5)); err != nil {
		return nil, err
	}
	for _, it := range giftItems {
		if _, _, err := game.AddBagItem(it); err != nil {
			return nil, err
		}
	}
	game.SetOnline(online...)

	gap := time.Duration(0)
	s := settings.Defaults()
	s.APIBaseURL, s.LogPath, s.WoWDir = apiURL, game.LogPath(), filepath.Dir(filepath.Dir(game.LogPath()))
	st := &streamer{game: game, logf: logf, selected: map[string]bool{}}
	a, err := app.New(app.Options{
		Dir: filepath.Join(dir, "desktop"), Settings: s, APIKey: apiKey, Injector: inject.NewHeadless(gameKeys{game}),
		// Faster than the defaults (2 s polls, 30 s backoff ceiling) so the compressed
		// schedule keeps moving; the retry logic is the same.
		PollEvery: 200 * time.Millisecond, TailEvery: 50 * time.Millisecond, PingTimeout: 10 * time.Second,
		ProbeEvery: 500 * time.Millisecond, AckTimeout: 6 * time.Second, CommandTick: 50 * time.Millisecond,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second, TypeGap: &gap,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(logf, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
		},
	})
	if err != nil {
		return nil, err
	}
	st.app = a
	go func() { _ = a.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for a.State().Log.Level != "ok" {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the Desktop does not follow the chat log: %s", a.State().Log.Text)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return st, nil
}

// run plays the hands until ctx ends.
func (st *streamer) run(ctx context.Context) {
	for ctx.Err() == nil {
		st.step(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (st *streamer) fail(format string, args ...any) {
	st.mu.Lock()
	defer st.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(st.logf, "%s hands: %s\n", time.Now().Format("15:04:05.000"), msg)
	if len(st.errs) < 20 {
		st.errs = append(st.errs, msg)
	}
}

func (st *streamer) step(ctx context.Context) {
	// The winners and gift viewers answer the consent whispers the addon sent.
	ws := st.game.SentWhispers()
	for ; st.whispers < len(ws); st.whispers++ {
		w := ws[st.whispers]
		if !w.Delivered {
			continue
		}
		switch {
		case strings.HasSuffix(w.Text, "!twgold"):
			if err := st.game.Whisper(w.To, "!twgold"); err != nil {
				st.fail("%s could not answer the consent whisper: %v", w.To, err)
			}
		case strings.HasSuffix(w.Text, "!twgift"):
			if err := st.game.Whisper(w.To, "!twgift"); err != nil {
				st.fail("%s could not answer the gift whisper: %v", w.To, err)
			}
		}
	}

	state := st.app.State()
	// Accepted payouts: the streamer presses Sync (Pending → InProgress, ReceiveGold).
	var accepted []string
	for _, p := range state.Payouts {
		if p.Accepted && p.Status == domain.PayoutPending {
			accepted = append(accepted, p.ID)
		}
	}
	if len(accepted) > 0 && time.Since(st.lastSync) > 500*time.Millisecond {
		st.lastSync = time.Now()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := st.app.Sync(cctx, accepted); err != nil {
			st.fail("Sync: %v", err)
		}
		cancel()
	}

	// A gift request waiting for the streamer: pick the first giftable item.
	for _, g := range state.Gifts {
		if g.Status != domain.GiftSelectingItem || len(g.Items) == 0 || st.selected[g.ID] {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := st.app.SelectGiftItem(cctx, g.ID, g.Items[0].ItemID); err != nil {
			st.fail("select gift item for %s: %v", g.CharacterName, err)
		} else {
			st.selected[g.ID] = true
		}
		cancel()
	}

	// Whatever the addon queued: at the mailbox, Prepare Mail, Send, wait for the server.
	n, err := st.game.Eval("#MGM_DB.queue")
	if err != nil {
		st.fail("read the mail queue: %v", err)
		return
	}
	if q, ok := n.(float64); !ok || q == 0 {
		return
	}
	before := len(st.game.SentMails())
	if err := st.game.OpenMailbox(); err != nil {
		st.fail("open mailbox: %v", err)
		return
	}
	if err := st.game.ClickButton("MGM_PrepareMailButton"); err != nil {
		if !errors.Is(err, wowclient.ErrNotClickable) {
			st.fail("Prepare Mail: %v", err)
		}
		return
	}
	if err := st.game.PressSend(); err != nil {
		st.fail("Send: %v", err)
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(st.game.SentMails()) == before && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if len(st.game.SentMails()) == before {
		st.mailFails++
		st.fail("a mail was not accepted within 5 s")
	}
}

func (st *streamer) problems() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]string(nil), st.errs...)
}

// gameKeys is the headless game as the Desktop's injector sees it: strokes posted as
// window messages (docs/product.md §9: the addon's command key, then characters).
type gameKeys struct{ *wowclient.Client }

func (g gameKeys) PostStrokes(strokes []inject.Stroke) error {
	in := make([]wowclient.Input, 0, len(strokes))
	for _, s := range strokes {
		in = append(in, wowclient.Input{Key: s.Key, Char: s.Char})
	}
	return g.Post(in...)
}
