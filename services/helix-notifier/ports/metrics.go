package ports

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// MetricNames are the counters of app.Metrics, in the order /metrics lists them.
var MetricNames = []struct{ Key, Help string }{
	{"posted", "Reward announcements Helix accepted (is_sent: true)."},
	{"failed", "Reward announcements given up on (terminal drop, permanent error or retries exhausted)."},
	{"unknown", "Reward announcements whose outcome was lost to a crash between Helix's answer and the record."},
	{"retried", "Attempts that will be retried (5xx, timeouts, 429, retryable drops, open breaker)."},
	{"dropped", "Helix answers with is_sent: false."},
}

// MetricsHandler serves the notifier's counters m: GET /metrics in the Prometheus text
// format (mgm_helix_notifier_<name>_total) and GET /debug/vars as expvar's JSON.
func MetricsHandler(m *expvar.Map) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", expvar.Handler())
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		for _, n := range MetricNames {
			var v int64
			if i, ok := m.Get(n.Key).(*expvar.Int); ok {
				v = i.Value()
			}
			name := "mgm_helix_notifier_" + n.Key + "_total"
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, n.Help, name, name, v)
		}
	})
	return mux
}

// ServeMetrics serves h on l until ctx ends.
func ServeMetrics(ctx context.Context, l net.Listener, h http.Handler, log *zap.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("helix-notifier metrics", zap.String("addr", l.Addr().String()))
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return err
}
