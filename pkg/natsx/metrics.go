package natsx

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c with reg and returns the collector in use: c, or the one of the
// same description already registered (several consumers or responders of one service
// share one vector). A nil reg leaves c unregistered, so metrics are optional.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // two metrics of one name and different labels: a programming error
	}
	return c
}

// Latency buckets, in seconds, for requests and handlers: a millisecond to 10 s.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// rpcMetrics count and time the requests a service answers (Serve).
type rpcMetrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
}

func newRPCMetrics(reg prometheus.Registerer) *rpcMetrics {
	if reg == nil {
		return nil
	}
	return &rpcMetrics{
		requests: Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mgm_rpc_requests_total",
			Help: "NATS requests answered, by subject and outcome (ok or the error code).",
		}, []string{"subject", "code"})),
		seconds: Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mgm_rpc_request_duration_seconds", Help: "Time to answer a NATS request, by subject.",
			Buckets: latencyBuckets,
		}, []string{"subject"})),
	}
}

// consumerMetrics describe the durable consumers of a service: what became of each
// message, how many came back, how long handling took, and the lag.
type consumerMetrics struct {
	outcomes    *prometheus.CounterVec
	redelivered *prometheus.CounterVec
	seconds     *prometheus.HistogramVec
	pending     *prometheus.GaugeVec
	ackPending  *prometheus.GaugeVec
}

// Outcomes of a handled message (mgm_consumer_messages_total's outcome label).
const (
	OutcomeAck         = "ack"          // done
	OutcomeRetry       = "retry"        // temporary failure: redelivered, without limit
	OutcomeLater       = "later"        // the handler asked to be asked again later
	OutcomeAbandon     = "abandon"      // left for a redelivery after AckWait
	OutcomePoisonRetry = "poison_retry" // failed for good, tried again (PoisonDeliveries)
	OutcomeDeadLetter  = "dead_letter"  // kept on MGM_DEAD and terminated
)

func newConsumerMetrics(reg prometheus.Registerer) *consumerMetrics {
	if reg == nil {
		return nil
	}
	return &consumerMetrics{
		outcomes: Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mgm_consumer_messages_total",
			Help: "JetStream messages handled, by consumer and outcome (ack, retry, later, abandon, poison_retry, dead_letter).",
		}, []string{"consumer", "outcome"})),
		redelivered: Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mgm_consumer_redeliveries_total",
			Help: "JetStream messages received again (a delivery after the first), by consumer.",
		}, []string{"consumer"})),
		seconds: Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mgm_consumer_handle_duration_seconds", Help: "Time a handler took per message (per batch for batch consumers), by consumer.",
			Buckets: latencyBuckets,
		}, []string{"consumer"})),
		pending: Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mgm_consumer_pending_messages",
			Help: "Consumer lag: messages of its stream not yet delivered to it (JetStream's num_pending), by consumer.",
		}, []string{"consumer"})),
		ackPending: Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mgm_consumer_ack_pending_messages",
			Help: "Messages delivered to the consumer and not yet acknowledged (JetStream's num_ack_pending), by consumer.",
		}, []string{"consumer"})),
	}
}

// LagEvery is how often a consumer's lag is read from JetStream for its metrics.
const LagEvery = 5 * time.Second

// SampleLag reports c's lag (mgm_consumer_pending_messages, ..._ack_pending_messages)
// every LagEvery until ctx ends.
func SampleLag(ctx context.Context, c jetstream.Consumer, s *Settler) {
	if s.metrics == nil {
		return
	}
	t := time.NewTicker(LagEvery)
	defer t.Stop()
	for {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := c.Info(ictx)
		cancel()
		if err == nil {
			s.metrics.pending.WithLabelValues(s.Consumer).Set(float64(info.NumPending))
			s.metrics.ackPending.WithLabelValues(s.Consumer).Set(float64(info.NumAckPending))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
