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
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/bench"
	"github.com/mimiron/mgm/pkg/config"
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
	sys, dbURL, stop, err := startBackend(ctx, admin, allinone.Options{}, nil)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("mgm-bench: backend at %s, %d-core machine%s, load %s × %d clients\n\n", sys.URL, runtime.NumCPU(), loadAverage(), *flagDur, *flagWorkers)

	// The draw first: its small case needs an otherwise empty pool.
	if want("draw") {
		if err := benchDraw(ctx, sys, dbURL); err != nil {
			return err
		}
	}
	if want("publish") || want("enroll") {
		pubRate, err := bench.PublishRate(ctx, sys.JS, "BENCH_RAW", 1, *flagDur)
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

// startBackend starts the whole backend on a database of its own, in a temporary data
// directory, for one set of figures. The benchmark is the only client: rate limits
// would measure themselves, so they are off. mutate adjusts the configuration first;
// stop undoes everything.
func startBackend(ctx context.Context, admin string, o allinone.Options, mutate func(*config.Config)) (sys *allinone.System, dbURL string, stop func(), err error) {
	var undo []func()
	stop = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	dbURL, drop, err := createDatabase(ctx, admin)
	if err != nil {
		return nil, "", nil, err
	}
	undo = append(undo, drop)
	dir, err := os.MkdirTemp("", "mgm-bench-")
	if err != nil {
		return nil, "", nil, err
	}
	undo = append(undo, func() { _ = os.RemoveAll(dir) })
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.IngestAddr, cfg.DatabaseURL, cfg.LogLevel = "127.0.0.1:0", "127.0.0.1:0", dbURL, "error"
	cfg.ViewerReadPerMin, cfg.ViewerWritePerMin, cfg.DesktopPerMin = 1<<30, 1<<30, 1<<30
	if mutate != nil {
		mutate(&cfg)
	}
	o.Config, o.DataDir, o.Log = cfg, filepath.Join(dir, "data"), zap.NewNop()
	sys, err = allinone.Start(ctx, o)
	if err != nil {
		return nil, "", nil, err
	}
	undo = append(undo, sys.Stop)
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := sys.WaitReady(readyCtx); err != nil {
		return nil, "", nil, err
	}
	return sys, dbURL, stop, nil
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

// loadAverage is ", load average N" (the last minute's, from /proc/loadavg), or nothing
// where the system does not say. The enrollment figures need the CPU (HTTP, signatures,
// NATS, PostgreSQL) while the raw publish they are divided by mostly waits for the disk,
// so on a machine others are busy with the ratio drops: read it beside this number.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return ", load average " + f[0]
}
