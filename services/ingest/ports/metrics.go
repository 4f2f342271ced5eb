package ports

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mimiron/mgm/pkg/errs"
)

// Metrics counts what the webhook and the WebSocket transport did since start; /metrics shows them. Revocations is
// the one to alert on.
type Metrics struct {
	Published     prometheus.Counter // chat commands stored on the bus
	Duplicates    prometheus.Counter // replayed deliveries, acknowledged without change
	Ignored       prometheus.Counter // ordinary chat and unexpected subscriptions
	Verifications prometheus.Counter // challenges answered
	Revocations   prometheus.Counter // subscriptions revoked by Twitch
	Stale         prometheus.Counter // signed deliveries older than MaxAge, acknowledged and dropped
	Refused       *prometheus.CounterVec

	// The EventSub WebSocket's backlog (see Backlog).
	PublishRetries prometheus.Counter // attempts to store a chat command that failed and were tried again
	BacklogDropped prometheus.Counter // chat commands dropped because the backlog was full
	BacklogLost    prometheus.Counter // chat commands still waiting when ingest stopped
}

// NewMetrics registers the webhook's counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	m := &Metrics{
		Published:     counter("mgm_ingest_chat_commands_published_total", "Chat commands stored on the message bus."),
		Duplicates:    counter("mgm_ingest_deliveries_duplicate_total", "Replayed EventSub deliveries acknowledged without change."),
		Ignored:       counter("mgm_ingest_chat_messages_ignored_total", "Chat messages that are not commands."),
		Verifications: counter("mgm_ingest_verifications_total", "EventSub verification challenges answered."),
		Revocations:   counter("mgm_ingest_revocations_total", "EventSub subscriptions revoked by Twitch."),
		Stale:         counter("mgm_ingest_deliveries_stale_dropped_total", "Signed EventSub deliveries older than 10 minutes, acknowledged and dropped."),
		PublishRetries: counter("mgm_ingest_websocket_publish_retries_total",
			"Attempts to store a chat command read from the EventSub WebSocket that failed and are tried again."),
		BacklogDropped: counter("mgm_ingest_websocket_backlog_dropped_total",
			"Chat commands read from the EventSub WebSocket and dropped because the backlog waiting for the message bus was full."),
		BacklogLost: counter("mgm_ingest_websocket_backlog_lost_total",
			"Chat commands read from the EventSub WebSocket and still waiting for the message bus when ingest stopped."),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mgm_ingest_deliveries_refused_total",
			Help: "EventSub deliveries answered with an error, by code.",
		}, []string{"code"}),
	}
	reg.MustRegister(m.Refused)
	return m
}

func (m *Metrics) refused(code errs.Code) { m.Refused.WithLabelValues(string(code)).Inc() }
