// Command chaos (`make chaos`) proves the services as microservices: it runs the whole
// backend as separate processes on this machine — a three-node NATS cluster built from
// the nats-server module the project embeds (JetStream fsync on every write, every
// stream and bucket at three replicas), a private PostgreSQL, every service as its own
// process with two replicas (three for roulette) behind balancers, the fake Helix — and
// drives the real work through the real edges: signed chat enrollments that Twitch
// redelivers until acknowledged, spins at a short interval, payouts carried to Sent by
// the real Desktop driving a headless WoW client that runs the real addon, and gift
// requests. Meanwhile it injects the faults of a schedule it prints: kill -9 of
// replicas, the NATS node leading the chat stream killed and brought back, PostgreSQL
// restarted in immediate mode, Helix failing for a stretch. At the end it audits the
// database, the streams and the fake Helix, prints how long each fault took to recover
// from, and ends with
//
//	chaos: <L> lost, <D> duplicated, <P> double posts, <S> stuck
//
// exiting non-zero unless all four are 0. CHAOS_DURATION is how long
// work is driven and faults injected (default 60s: the short run `make test` includes);
// CHAOS_SEED replays a schedule.
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

type options struct {
	duration    time.Duration // CHAOS_DURATION: drive and faults (60 s)
	spin        time.Duration // CHAOS_SPIN: spin interval (default duration/50, 2 s to 300 s)
	seed        int64         // CHAOS_SEED
	enrollments int           // CHAOS_ENROLLMENTS (2000)
	minPayouts  int           // CHAOS_PAYOUTS: payouts that must reach Sent (30)
	gifts       int           // CHAOS_GIFTS (4)
	keep        bool          // CHAOS_KEEP=1: keep the work directory (always kept on failure)
}

func loadOptions() (options, error) {
	o := options{duration: 60 * time.Second, seed: time.Now().UnixNano() % 1_000_000, enrollments: 2000, minPayouts: 30, gifts: 4}
	var err error
	get := func(name string, parse func(string) error) {
		if v := os.Getenv(name); v != "" && err == nil {
			if e := parse(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	}
	dur := func(dst *time.Duration) func(string) error {
		return func(v string) error {
			d, e := time.ParseDuration(v)
			if e != nil {
				s, e2 := strconv.ParseFloat(v, 64)
				if e2 != nil {
					return e
				}
				d = time.Duration(s * float64(time.Second))
			}
			*dst = d
			return nil
		}
	}
	num := func(dst *int) func(string) error {
		return func(v string) error { n, e := strconv.Atoi(v); *dst = n; return e }
	}
	get("CHAOS_DURATION", dur(&o.duration))
	get("CHAOS_SPIN", dur(&o.spin))
	get("CHAOS_SEED", func(v string) error { n, e := strconv.ParseInt(v, 10, 64); o.seed = n; return e })
	get("CHAOS_ENROLLMENTS", num(&o.enrollments))
	get("CHAOS_PAYOUTS", num(&o.minPayouts))
	get("CHAOS_GIFTS", num(&o.gifts))
	o.keep = os.Getenv("CHAOS_KEEP") != "" && os.Getenv("CHAOS_KEEP") != "0"
	if err != nil {
		return o, err
	}
	if o.duration < 30*time.Second {
		return o, fmt.Errorf("CHAOS_DURATION must be at least 30s")
	}
	if o.spin == 0 {
		o.spin = clamp(o.duration/50, 2*time.Second, 300*time.Second)
	}
	if o.enrollments < 1 || o.gifts < 0 || o.minPayouts < 0 {
		return o, fmt.Errorf("CHAOS_ENROLLMENTS must be positive, CHAOS_GIFTS and CHAOS_PAYOUTS not negative")
	}
	return o, nil
}

func main() {
	o, err := loadOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	switch {
	case len(os.Args) == 1:
		code = run(ctx, o, os.Stdout, chaos)
	case len(os.Args) == 2 && os.Args[1] == "bench":
		code = run(ctx, o, os.Stdout, func(ctx context.Context, o options, root, dir string, out io.Writer, say func(string, ...any)) (int, string, error) {
			return 0, "", benchCluster(ctx, o, root, dir, out, say)
		})
	default:
		fmt.Fprintln(os.Stderr, "usage: chaos          the chaos run (make chaos)\n       chaos bench    make bench's figures on the three-node cluster")
		code = 2
	}
	stop()
	os.Exit(code)
}

// run returns the exit code: 0 for four zeros, 1 for a failed audit, 2 when the run
// itself could not be carried out.
type runFunc func(ctx context.Context, o options, root, dir string, out io.Writer, say func(string, ...any)) (code int, last string, err error)

func run(ctx context.Context, o options, out io.Writer, what runFunc) int {
	began := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "chaos: [%5.1fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(out, "chaos:", err)
		return 2
	}
	dir, err := os.MkdirTemp("", "mgm-chaos-")
	if err != nil {
		fmt.Fprintln(out, "chaos:", err)
		return 2
	}
	// PostgreSQL runs as the postgres user when the harness is root: it must reach its data.
	_ = os.Chmod(dir, 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		fmt.Fprintln(out, "chaos:", err)
		return 2
	}
	code, last, err := what(ctx, o, root, dir, out, say)
	say("stopped everything")
	if err != nil {
		fmt.Fprintln(out, "chaos: the run could not be carried out:", err)
		code = 2
	}
	if o.keep || code != 0 {
		fmt.Fprintf(out, "chaos: work directory kept: %s (logs in logs/)\n", dir)
	} else {
		_ = os.RemoveAll(dir)
	}
	if last != "" {
		fmt.Fprintln(out, last)
	}
	return code
}

func chaos(ctx context.Context, o options, root, dir string, out io.Writer, say func(string, ...any)) (code int, last string, err error) {
	say("seed %d, drive %s, spins every %s, %d enrollments, ≥ %d payouts, %d gift requests; work directory %s",
		o.seed, o.duration, o.spin, o.enrollments, o.minPayouts, o.gifts, dir)
	sys, down, err := bringUp(ctx, o, root, dir, say)
	if err != nil {
		return 0, "", err
	}
	defer down()
	db, js, helix, upAt := sys.db, sys.js, sys.helix, sys.upAt

	names := make([]string, o.enrollments)
	for i := range names {
		names[i] = viewerName(i)
	}
	giftNames := make([]string, o.gifts)
	for i := range giftNames {
		giftNames[i] = viewerName(o.enrollments + i)
	}
	driveCtx, stopDrive := context.WithCancel(ctx)
	defer stopDrive()
	st, err := startStreamer(driveCtx, root, dir, sys.gatewayLB.URL, append(append([]string{}, names...), giftNames...), o.spin)
	if err != nil {
		return 0, "", err
	}
	go st.run(driveCtx)
	w := newWatcher(db)
	go w.run(driveCtx)
	say("Desktop: following the headless client's chat log, API %s (gateway balancer); webhook %s (ingest balancer)",
		sys.gatewayLB.URL, sys.ingestLB.URL)

	faults := schedule(o.duration, rand.New(rand.NewSource(o.seed)))
	printSchedule(out, faults)
	tw := newTwitch(sys.ingestLB.URL + "/api/twitch/eventsub")
	giftTw := newTwitch(sys.ingestLB.URL + "/api/twitch/eventsub")
	start := time.Now()
	say("drive begins")
	inj := &injector{sys: sys, out: out, start: start}
	faultsDone := inj.run(ctx, faults)
	enrolled := tw.enrollAll(driveCtx, o.enrollments, o.duration*8/10, names)
	for i, name := range giftNames {
		at := o.duration * time.Duration(i+1) / time.Duration(o.gifts+1)
		m := newChat(fmt.Sprintf("%d", 3000000+i), name, "!twgift "+name)
		go func() {
			sleep(driveCtx, time.Until(start.Add(at)))
			giftTw.deliver(driveCtx, m)
		}()
	}
	progress := func() {
		acked := 0
		for _, m := range tw.messages() {
			if !m.AckedAt.IsZero() {
				acked++
			}
		}
		inj.logf("progress: %d/%d enrollments acknowledged, %d payouts Sent, %d announcements",
			acked, o.enrollments, len(w.sentPayouts()), len(helix.Posts()))
	}
	for time.Since(start) < o.duration && ctx.Err() == nil {
		sleep(ctx, min(10*time.Second, o.duration-time.Since(start)))
		progress()
	}
	driveEnd := time.Now()
	faultsDone.Wait()
	say("drive over; faults done")
	// Enough payouts must have gone the whole way; spins go on until they have, as long
	// as payouts keep reaching Sent.
	lastSent, lastMove := len(w.sentPayouts()), time.Now()
	for lastSent < o.minPayouts && time.Since(lastMove) < 30*time.Second && time.Since(driveEnd) < 120*time.Second && ctx.Err() == nil {
		sleep(ctx, time.Second)
		if n := len(w.sentPayouts()); n > lastSent {
			lastSent, lastMove = n, time.Now()
		}
	}
	// Drain: everything acknowledged settles (or the drain gives up and the audit says what not).
	drainStart := time.Now()
	for !drained(ctx, db, tw, giftTw, w, helix, driveEnd) && time.Since(drainStart) < 60*time.Second && ctx.Err() == nil {
		sleep(ctx, 500*time.Millisecond)
	}
	progress()
	say("drained in %.1fs; auditing", time.Since(drainStart).Seconds())
	stopDrive()
	enrolled.Wait()
	if ctx.Err() != nil {
		return 0, "", ctx.Err()
	}

	actx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	posts := helix.Posts()
	v, err := audit(actx, db, js, auditInput{enrollments: tw.messages(), gifts: giftTw.messages(), posts: posts, driveEnd: driveEnd})
	if err != nil {
		return 0, "", err
	}
	sent := len(w.sentPayouts())
	v.fact("deliveries: %d webhook posts for %d chat messages (%d not answered 2xx); balancers answered 502 %d (ingest) / %d (gateway) times",
		tw.sent.Load()+giftTw.sent.Load(), len(tw.messages())+len(giftTw.messages()), tw.failed.Load()+giftTw.failed.Load(),
		sys.ingestLB.errors.Load(), sys.gatewayLB.errors.Load())
	restarts := 0
	var atStart, during []string
	for _, p := range sys.allReplicas() {
		restarts += p.starts - 1
		for _, e := range p.unexpectedExits() {
			if e.at.Before(upAt) {
				atStart = append(atStart, e.text)
			} else {
				during = append(during, fmt.Sprintf("%.1fs %s", e.at.Sub(start).Seconds(), e.text))
			}
		}
	}
	v.fact("replicas: %d restarts; exits nobody asked for: %d while starting (restarted by the supervisor), %d during the run",
		restarts, len(atStart), len(during))
	for _, e := range atStart {
		v.fact("  at start-up: %s", e)
	}
	for _, e := range during {
		v.fact("  during the run: %s", e)
	}
	for _, p := range st.problems() {
		v.fact("streamer: %s", p)
	}
	// Every service reports its work on its own /metrics (prometheus client_golang).
	work, silent := sys.workReport(actx)
	for _, l := range work {
		v.fact("metrics: %s", l)
	}

	if u := st.app.State().Undelivered; len(u) > 0 {
		v.fact("Desktop: %d tags still undelivered", len(u))
	}
	say("audit done")
	fmt.Fprintln(out, "chaos: summary")
	printVerdict(out, v)
	printRecoveries(out, recoveries(faults, tw.messages(), w, posts), start)
	code = 0
	if sent < o.minPayouts {
		fmt.Fprintf(out, "chaos: only %d payouts reached Sent (want at least %d)\n", sent, o.minPayouts)
		code = 1
	}
	if len(silent) > 0 {
		fmt.Fprintf(out, "chaos: no work counted on the /metrics of %s\n", strings.Join(silent, ", "))
		code = 1
	}
	if !v.ok() {
		code = 1
	}
	return code, v.line(), nil
}

// drained reports whether everything acknowledged has settled: every chat message
// acknowledged and its enrollment recorded, every payout of the drive finished and,
// when Sent, announced, every gift request finished.
func drained(ctx context.Context, db *pgxpool.Pool, tw, giftTw *twitch, w *watcher, helix *fakehelix.Server, driveEnd time.Time) bool {
	for _, m := range append(tw.messages(), giftTw.messages()...) {
		if m.AckedAt.IsZero() {
			return false
		}
	}
	for _, m := range tw.messages() {
		if _, ok := w.enrolledAt("chat:" + m.MessageID); !ok {
			return false
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var active, openGifts int
	if err := db.QueryRow(cctx, `SELECT (SELECT count(*) FROM payout.payouts WHERE status IN ('Pending', 'InProgress') AND created_at < $1),
		(SELECT count(*) FROM gift.requests WHERE status NOT IN ('Completed', 'Failed'))`, driveEnd).Scan(&active, &openGifts); err != nil {
		return false
	}
	if active > 0 || openGifts > 0 {
		return false
	}
	posts := helix.Posts()
	for _, p := range w.sentPayouts() {
		found := false
		for _, post := range posts {
			found = found || mentions(post.Message, p.Name)
		}
		if !found {
			return false
		}
	}
	return true
}
