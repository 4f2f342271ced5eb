package ports

import (
	"context"
	"net/http"

	"github.com/nats-io/nats.go"

	"github.com/mimiron/mgm/pkg/errs"
)

// Routes is ingest's listener: the webhook, /healthz (process up), /readyz (message bus
// connected, and every further check: the WebSocket backlog's) and /metrics.
func Routes(hook *Webhook, nc *nats.Conn, metrics http.Handler, ready ...func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(Path, hook)
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if nc != nil && !nc.IsConnected() {
			writeError(w, errs.HTTPStatus(errs.Unavailable), errs.E(errs.Unavailable, "message bus not connected"))
			return
		}
		for _, check := range ready {
			if err := check(r.Context()); err != nil {
				pub := errs.Public(err)
				writeError(w, errs.HTTPStatus(pub.Code), pub)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	notFound := func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, errs.HTTPStatus(errs.NotFound), errs.E(errs.NotFound, "no such route"))
	}
	mux.HandleFunc("/", notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux answers the request-target "*" (other than OPTIONS, which net/http
		// answers itself) with a bare 400 and no body; every answer here carries the
		// error body (the sweep of issue 12 found it).
		if r.RequestURI == "*" {
			notFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
