// Command mgm-bench measures the performance targets of the issues and prints each as
// a ratio against a baseline measured in the same run on the same machine (`make
// bench`). It asserts nothing: the figures go into the closing notes.
//
//	enrollments/s end to end ÷ raw sync JetStream publishes/s (fsync)   target ≥ 1.0, p99 < 250 ms
//	GET /api/pool/me req/s ÷ bare net/http fixed body req/s              target ≥ 0.5
//	GET /api/roulette/state req/s ÷ bare net/http fixed body req/s       target ≥ 0.6
//	draw time and state time, 1,000,000 vs 10 eligible members          target ≤ 1.5×
//	panel requests per viewer-minute (its own scheduler)                 target ≤ 1 at idle
//	10,000 idle panels' requests ÷ measured read capacity (panel.go)     target ≤ 5 %
//	Extension PubSub broadcasts per spin cycle (panelpush.go)            target ≤ 5
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

var (
	flagDur      = flag.Duration("d", 3*time.Second, "duration of each HTTP load run")
	flagWorkers  = flag.Int("c", 16, "concurrent HTTP clients")
	flagEnroll   = flag.Int("enroll", 2000, "viewers enrolled in the enrollment benchmark")
	flagBig      = flag.Int("big", 1_000_000, "eligible members for the large draw/state measurement")
	flagProfile  = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flagSections = flag.String("only", "", "comma-separated sections to run (publish,enroll,poolme,state,draw,panel); empty runs all")
)

type row struct {
	name, measured, baseline, ratio, target, verdict string
}

var rows []row

func report(name string, measured, baseline string, ratio float64, target string, ok bool) {
	v := "meets target"
	if !ok {
		v = "BELOW TARGET"
	}
	rows = append(rows, row{name, measured, baseline, fmt.Sprintf("%.2f", ratio), target, v})
	fmt.Printf("  %-44s %s / %s = %.2f (target %s) %s\n", name, measured, baseline, ratio, target, v)
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mgm-bench:", err)
		os.Exit(1)
	}
	fmt.Println("\nSummary")
	for _, r := range rows {
		fmt.Printf("  %-44s ratio %-6s target %-8s %s\n", r.name, r.ratio, r.target, r.verdict)
	}
}

func want(section string) bool {
	if *flagSections == "" {
		return true
	}
	for _, s := range splitComma(*flagSections) {
		if s == section {
			return true
		}
	}
	return false
}

func run() error {
	ctx := context.Background()
	if *flagProfile != "" {
		f, err := os.Create(*flagProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	admin := os.Getenv("MGM_TEST_DATABASE_URL")
	if admin == "" {
		url, err := allinone.EnsurePostgres(ctx, ".mgm-data")
		if err != nil {
			return err
		}
		admin = url
	}
	dbURL, drop, err := createDatabase(ctx, admin)
	if err != nil {
		return err
	}
	defer drop()
	dir, err := os.MkdirTemp("", "mgm-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	cfg := config.Defaults()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.IngestAddr = "127.0.0.1:0"
	cfg.DatabaseURL = dbURL
	cfg.LogLevel = "error"
	// The benchmark is the only client: rate limits would measure themselves.
	cfg.ViewerReadPerMin = 1 << 30
	cfg.ViewerWritePerMin = 1 << 30
	cfg.DesktopPerMin = 1 << 30
	sys, err := allinone.Start(ctx, allinone.Options{Config: cfg, DataDir: filepath.Join(dir, "data"), Log: zap.NewNop()})
	if err != nil {
		return err
	}
	defer sys.Stop()
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := sys.WaitReady(readyCtx); err != nil {
		return err
	}
	fmt.Printf("mgm-bench: backend at %s, 2-core machine, load %s × %d clients\n\n", sys.URL, *flagDur, *flagWorkers)

	// The draw first: its small case needs an otherwise empty pool.
	if want("draw") {
		if err := benchDraw(ctx, sys, dbURL); err != nil {
			return err
		}
	}
	if want("publish") || want("enroll") {
		pubRate, err := benchPublish(ctx, sys.JS)
		if err != nil {
			return err
		}
		fmt.Printf("raw sync JetStream publish (fsync every write): %.0f msg/s\n", pubRate)
		if want("enroll") {
			if err := benchEnroll(ctx, sys, pubRate); err != nil {
				return err
			}
		}
	}
	if want("panel") {
		if err := benchPanel(sys, newClient()); err != nil {
			return err
		}
		if err := benchPanelPush(ctx, admin); err != nil {
			return err
		}
	}
	if want("poolme") || want("state") {
		bare, stop := bareServer()
		defer stop()
		client := newClient()
		base := load(client, *flagWorkers, *flagDur, func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, bare, nil)
			return r
		})
		fmt.Printf("bare net/http fixed body: %.0f req/s (p99 %s)\n", base.RPS(), base.P99)
		if want("poolme") {
			benchViewerRoute(sys, client, "/api/pool/me", "GET /api/pool/me ÷ bare net/http", base, 0.5)
		}
		if want("state") {
			benchViewerRoute(sys, client, "/api/roulette/state", "GET /api/roulette/state ÷ bare net/http", base, 0.6)
		}
	}
	return nil
}

func benchPublish(ctx context.Context, js jetstream.JetStream) (float64, error) {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: "BENCH_RAW", Subjects: []string{"bench.raw"}, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return 0, err
	}
	defer js.DeleteStream(ctx, "BENCH_RAW")
	payload := make([]byte, 512)
	deadline := time.Now().Add(*flagDur)
	n := 0
	start := time.Now()
	for time.Now().Before(deadline) {
		if _, err := js.Publish(ctx, "bench.raw", payload); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// enrollRun posts signed `!twgold` chat messages for viewers first..first+n-1 and times
// each from its POST until the pool's enrolled event — published after the commit that
// makes the member visible to GET /api/pool/me — arrives. pace 0 sends as fast as 32
// concurrent senders can; otherwise one message every pace.
func enrollRun(ctx context.Context, sys *allinone.System, sender *eventsub.Sender, first, n int, pace time.Duration) (elapsed time.Duration, lat []time.Duration, err error) {
	var mu sync.Mutex
	sentAt := make(map[string]time.Time, n)
	seen := make(map[string]time.Duration, n)
	done := make(chan struct{})
	var last time.Time
	sub, err := sys.NC.Subscribe(events.PoolMemberEnrolled, func(m *nats.Msg) {
		var pm events.PoolMember
		if _, err := events.Decode(m.Data, &pm); err != nil {
			return
		}
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		t0, ok := sentAt[pm.TwitchUserID]
		if _, dup := seen[pm.TwitchUserID]; !ok || dup {
			return
		}
		seen[pm.TwitchUserID] = now.Sub(t0)
		last = now
		if len(seen) == n {
			close(done)
		}
	})
	if err != nil {
		return 0, nil, err
	}
	defer sub.Unsubscribe()

	var failures atomic.Int64
	send := func(i int) {
		uid := fmt.Sprintf("9%07d", i)
		mu.Lock()
		sentAt[uid] = time.Now()
		mu.Unlock()
		resp, err := sender.ChatMessage(ctx, eventsub.ChatMessageOpts{
			BroadcasterID: sys.Config.BroadcasterID, UserID: uid,
			Text: "!twgold " + benchName(i), Badges: []string{"subscriber"},
		})
		if err != nil {
			failures.Add(1)
			return
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			failures.Add(1)
		}
	}
	var wg sync.WaitGroup
	start := time.Now()
	if pace == 0 {
		var next atomic.Int64
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					send(first + i)
				}
			}()
		}
	} else {
		tick := time.NewTicker(pace)
		for i := 0; i < n; i++ {
			<-tick.C
			wg.Add(1)
			go func(i int) { defer wg.Done(); send(first + i) }(i)
		}
		tick.Stop()
	}
	wg.Wait()
	accepted := time.Since(start)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < n {
		return 0, nil, fmt.Errorf("enrollment bench: %d of %d viewers visible after 60 s (%d webhook failures)", len(seen), n, failures.Load())
	}
	for _, d := range seen {
		lat = append(lat, d)
	}
	if pace == 0 {
		fmt.Printf("  webhooks all accepted after %s (%.0f/s); all members visible after %s\n",
			accepted.Round(time.Millisecond), float64(n)/accepted.Seconds(), last.Sub(start).Round(time.Millisecond))
	}
	return last.Sub(start), lat, nil
}

// benchEnroll measures throughput with a burst of viewers enrolling at once, then
// latency at a steady half of that throughput (a burst's p99 would measure only how
// long the queue it builds is). Deliveries go to ingest's own address, as the
// Ingress in deployments/k8s routes Twitch's; a second burst through the gateway's
// proxy (the one-process mode's single address) is printed for comparison.
func benchEnroll(ctx context.Context, sys *allinone.System, pubRate float64) error {
	direct := eventsub.NewSender(sys.Config.EventSubSecret, sys.IngestURL+"/api/twitch/eventsub")
	total := *flagEnroll
	elapsed, burstLat, err := enrollRun(ctx, sys, direct, 0, total, 0)
	if err != nil {
		return err
	}
	rate := float64(total) / elapsed.Seconds()
	fmt.Printf("enrollments end to end, burst to ingest: %d viewers in %s = %.0f/s (p50 %s, p99 %s under the burst)\n",
		total, elapsed.Round(time.Millisecond), rate, pct(burstLat, 50), pct(burstLat, 99))
	report("enrollments/s ÷ raw sync JetStream publish/s", fmt.Sprintf("%.0f/s", rate), fmt.Sprintf("%.0f/s", pubRate), rate/pubRate, "≥ 1.0", rate/pubRate >= 1.0)

	proxied, _, err := enrollRun(ctx, sys, sys.Sender(), total, total, 0)
	if err != nil {
		return err
	}
	prate := float64(total) / proxied.Seconds()
	fmt.Printf("  for comparison, the same burst through the gateway's proxy: %.0f/s = %.2f × raw publish\n", prate, prate/pubRate)

	steady := rate / 2
	n := int(steady * 3)
	if n < 50 {
		n = 50
	}
	_, lat, err := enrollRun(ctx, sys, direct, 2*total, n, time.Duration(float64(time.Second)/steady))
	if err != nil {
		return err
	}
	p99 := pct(lat, 99)
	fmt.Printf("enrollments end to end, steady %.0f/s for 3 s: p50 %s, p99 %s\n", steady, pct(lat, 50), p99)
	report("p99 webhook → visible (ms) ÷ 250 ms budget", fmt.Sprintf("%dms", p99.Milliseconds()), "250ms", float64(p99)/float64(250*time.Millisecond), "≤ 1.0", p99 < 250*time.Millisecond)
	return nil
}

// benchName is a valid, unique character name for viewer i (letters only).
func benchName(i int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := []byte{'B', 'n'}
	for {
		b = append(b, letters[i%26])
		i /= 26
		if i == 0 {
			break
		}
	}
	return string(b)
}

func benchViewerRoute(sys *allinone.System, client *http.Client, path, name string, base loadResult, target float64) {
	// Each worker is its own viewer, as on a real channel.
	var id atomic.Int64
	tokens := make([]string, 256)
	for i := range tokens {
		tokens[i] = sys.ViewerToken(fmt.Sprintf("8%06d", id.Add(1)))
	}
	var k atomic.Int64
	res := load(client, *flagWorkers, *flagDur, func() *http.Request {
		r, _ := http.NewRequest(http.MethodGet, sys.URL+path, nil)
		r.Header.Set("Authorization", "Bearer "+tokens[k.Add(1)%int64(len(tokens))])
		return r
	})
	if res.Errors > 0 {
		fmt.Printf("  %s: %d errors of %d requests\n", path, res.Errors, res.Requests)
	}
	ratio := res.RPS() / base.RPS()
	fmt.Printf("%s: %.0f req/s (p99 %s)\n", path, res.RPS(), res.P99)
	report(name, fmt.Sprintf("%.0f/s", res.RPS()), fmt.Sprintf("%.0f/s", base.RPS()), ratio, fmt.Sprintf("≥ %.1f", target), ratio >= target && res.Errors == 0)
}

func bareServer() (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	body := []byte(`{"isEnrolled":true,"characterName":"Norinn"}`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() { _ = srv.Close() }
}

func createDatabase(ctx context.Context, admin string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("mgm_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
