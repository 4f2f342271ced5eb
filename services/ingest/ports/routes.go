package ports

import (
	"net/http"

	"github.com/nats-io/nats.go"

	"github.com/mimiron/mgm/pkg/errs"
)

// Routes is ingest's listener: the webhook, /healthz (process up), /readyz (message bus
// connected) and /metrics.
func Routes(hook *Webhook, nc *nats.Conn, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(Path, hook)
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if nc != nil && !nc.IsConnected() {
			writeError(w, errs.HTTPStatus(errs.Unavailable), errs.E(errs.Unavailable, "message bus not connected"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, errs.HTTPStatus(errs.NotFound), errs.E(errs.NotFound, "no such route"))
	})
	return mux
}
