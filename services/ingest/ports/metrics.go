package ports

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/mimiron/mgm/pkg/errs"
)

// Metrics counts what the webhook did since start; GET /metrics shows them in the
// Prometheus text format. Revocations is the one to alert on.
type Metrics struct {
	Published     atomic.Int64 // chat commands stored on the bus
	Duplicates    atomic.Int64 // replayed deliveries, acknowledged without change
	Ignored       atomic.Int64 // ordinary chat and unexpected subscriptions
	Verifications atomic.Int64 // challenges answered
	Revocations   atomic.Int64 // subscriptions revoked by Twitch

	mu      sync.Mutex
	refusal map[errs.Code]int64 // deliveries answered with an error, by code
}

func (m *Metrics) refused(code errs.Code) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refusal == nil {
		m.refusal = map[errs.Code]int64{}
	}
	m.refusal[code]++
}

// Refused is how many deliveries were answered with code.
func (m *Metrics) Refused(code errs.Code) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refusal[code]
}

// ServeHTTP writes the counters.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	counter := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("mgm_ingest_chat_commands_published_total", "Chat commands stored on the message bus.", m.Published.Load())
	counter("mgm_ingest_deliveries_duplicate_total", "Replayed EventSub deliveries acknowledged without change.", m.Duplicates.Load())
	counter("mgm_ingest_chat_messages_ignored_total", "Chat messages that are not commands.", m.Ignored.Load())
	counter("mgm_ingest_verifications_total", "EventSub verification challenges answered.", m.Verifications.Load())
	counter("mgm_ingest_revocations_total", "EventSub subscriptions revoked by Twitch.", m.Revocations.Load())
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP mgm_ingest_deliveries_refused_total EventSub deliveries answered with an error, by code.\n# TYPE mgm_ingest_deliveries_refused_total counter\n")
	for code, n := range m.refusal {
		fmt.Fprintf(w, "mgm_ingest_deliveries_refused_total{code=%q} %d\n", code, n)
	}
}
