// Command mgm-demo plays a whole giveaway on one machine (`make demo`): the backend in
// one process, simulated subscribers enrolling through signed EventSub chat messages,
// the headless WoW client running the real addon, a simulated winner answering the
// consent whisper, and the Desktop driving it all — with its window open for a browser.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/loop"
	"github.com/mimiron/mgm/desktop/ui"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/wowclient"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mgm-demo:", err)
		os.Exit(1)
	}
}

var start = time.Now()

func step(format string, args ...any) {
	fmt.Printf("%6.1fs ▶ %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

func run() error {
	spin := flag.Duration("spin", 5*time.Second, "spin interval (MGM_SPIN_INTERVAL) for the demo")
	addr := flag.String("addr", "127.0.0.1:8766", "the Desktop window's address")
	linger := flag.Bool("linger", true, "keep everything running after the giveaway until Ctrl-C")
	verbose := flag.Bool("v", false, "print every Desktop event")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "mgm-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	step("PostgreSQL: finding or starting one (scripts/ensure-postgres.sh)")
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		if admin, err = allinone.EnsurePostgres(ctx, filepath.Join(dir, "data")); err != nil {
			return err
		}
	}
	dbURL, drop, err := freshDatabase(ctx, admin)
	if err != nil {
		return err
	}
	defer drop()

	back, err := loop.NewBackend(dbURL, filepath.Join(dir, "backend"), *spin, nil)
	if err != nil {
		return err
	}
	defer back.Close()
	if err := back.Start(ctx); err != nil {
		return err
	}
	step("backend up at %s (spin every %s, fake Helix at %s)", back.URL(), *spin, back.Helix.URL())

	game, err := loop.StartGame(ctx, filepath.Join(dir, "wow"), func(o *wowclient.Options) { o.Player = "Mimiron" })
	if err != nil {
		return err
	}
	defer game.Close()
	step("headless WoW 3.3.5a client logged in as Mimiron with the MimironsGoldOMatic addon; chat log %s", game.LogPath())

	logf := func(format string, args ...any) {
		if *verbose {
			fmt.Printf("%6.1fs   desktop │ %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
		}
	}
	desk := loop.NewDesktop(filepath.Join(dir, "desktop"), back.URL(), back.Config.APIKey, game.LogPath(), inject.NewHeadless(loop.NewKeys(game)), logf)
	desk.Options.PollEvery = 500 * time.Millisecond
	if err := desk.Start(ctx); err != nil {
		return err
	}
	defer desk.Stop()
	go func() {
		_ = ui.Serve(ctx, *addr, desk.App, func(u string) {
			step("Desktop window: open %s in a browser", u)
		})
	}()

	took, err := desk.App.Ping(ctx)
	if err != nil {
		return fmt.Errorf("bridge self-test: %w", err)
	}
	step("bridge self-test: the addon's self-test key (Pause) pressed, [MGM_PONG] read back from the chat log in %.2f s", took.Seconds())
	if err := waitFor(ctx, 30*time.Second, func() bool { return desk.App.State().Pairing.Level == "ok" }); err != nil {
		return fmt.Errorf("pairing with the addon: %s", desk.App.State().Pairing.Text)
	}
	step("bridge %s: MGM_Pair typed into the addon's command box (X25519, nothing secret typed or shown); every tag is signed from now on", desk.App.State().Pairing.Text)

	viewers := []struct{ id, login, name string }{
		{"7001", "norinn_tv", "Норинн"}, {"7002", "thrall_fan", "Thrall"}, {"7003", "jaina_p", "Jaina"},
	}
	var online []string
	for _, v := range viewers {
		online = append(online, v.name)
		if err := back.Chat(ctx, v.id, v.login, "!twgold "+v.name); err != nil {
			return err
		}
		step("chat: %s (subscriber) types \"!twgold %s\" — signed EventSub webhook → pool", v.login, v.name)
	}
	game.SetOnline(online...)
	step("the simulated realm has %s online", strings.Join(online, ", "))

	step("waiting for the next spin boundary…")
	var p events.Payout
	if err := waitFor(ctx, 3**spin+30*time.Second, func() bool {
		ps := desk.App.State().Payouts
		if len(ps) > 0 {
			p = ps[0].Payout
			return true
		}
		return false
	}); err != nil {
		return fmt.Errorf("no winner: %w", err)
	}
	for _, l := range game.TagLines() {
		if strings.Contains(l, "[MGM_WHO]") {
			step("addon: %s", l)
		}
	}
	step("the Desktop typed MGM_RunWhoForSpin, posted the [MGM_WHO] report; winner %s → payout %s is %s (1,000 g)", p.CharacterName, p.ID[:8], p.Status)

	if err := waitFor(ctx, 10*time.Second, func() bool { return len(game.SentWhispers()) > 0 }); err != nil {
		return fmt.Errorf("no consent whisper: %w", err)
	}
	w := game.SentWhispers()[0]
	step("addon whispers %s: %q", w.To, w.Text)
	time.Sleep(time.Second)
	if err := game.Whisper(p.CharacterName, "!twgold"); err != nil {
		return err
	}
	step("%s whispers back: \"!twgold\"", p.CharacterName)
	if err := waitFor(ctx, 10*time.Second, func() bool {
		ps := desk.App.State().Payouts
		return len(ps) > 0 && ps[0].Accepted
	}); err != nil {
		return fmt.Errorf("acceptance not recorded: %w", err)
	}
	step("addon prints [MGM_ACCEPT:%s…]; the Desktop called confirm-acceptance — the window shows ✓ accepted", p.ID[:8])

	time.Sleep(time.Second)
	msg, err := desk.App.Sync(ctx, nil)
	if err != nil {
		return err
	}
	step("streamer presses Sync / Inject: %s", msg)
	if err := waitFor(ctx, 20*time.Second, func() bool {
		v, err := game.Eval("#MGM_DB.queue")
		return err == nil && v == float64(1)
	}); err != nil {
		return fmt.Errorf("ReceiveGold was not acknowledged by the addon: %w", err)
	}
	step("the addon acknowledged ReceiveGold ([MGM_ACK]); the payout waits in its mail queue")
	if err := game.OpenMailbox(); err != nil {
		return err
	}
	if err := game.ClickButton("MGM_PrepareMailButton"); err != nil {
		return err
	}
	step("at the mailbox the streamer presses Prepare Mail: to %s, 1000g armed", game.Text("SendMailNameEditBox"))
	if err := game.PressSend(); err != nil {
		return err
	}
	step("streamer presses Send")
	if err := waitFor(ctx, 15*time.Second, func() bool { return len(back.Helix.Posts()) > 0 }); err != nil {
		return fmt.Errorf("no announcement: %w", err)
	}
	for _, l := range game.TagLines() {
		if strings.Contains(l, "[MGM_CONFIRM:") {
			step("addon: %s — the Desktop set the payout Sent", l)
		}
	}
	step("Twitch chat (fake Helix) got: %q", back.Helix.Posts()[0].Message)
	step("giveaway complete: %d mail(s) sent, %d announcement(s)", len(game.SentMails()), len(back.Helix.Posts()))

	if !*linger {
		return nil
	}
	step("everything keeps running (new spins every %s); the Desktop window stays open. Ctrl-C to quit.", *spin)
	<-ctx.Done()
	return nil
}

func waitFor(ctx context.Context, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// freshDatabase creates a database for this demo run on the server at admin, so every
// run starts with an empty pool, and returns its URL and a func that drops it.
func freshDatabase(ctx context.Context, admin string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("mgm_demo_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create demo database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(c, admin); err == nil {
			_, _ = conn.Exec(c, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(c)
		}
	}
	return u.String(), drop, nil
}
