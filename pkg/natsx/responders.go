package natsx

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// MaxConcurrentRequests bounds how many requests of one subject a replica handles at
// once. NATS delivers a subscription's messages one at a time; handing each to its own
// goroutine lets a replica answer many viewers while one waits on PostgreSQL.
const MaxConcurrentRequests = 64

// Responders is a service's set of request handlers, served in one queue group.
type Responders struct {
	subs     []*nats.Subscription
	inflight atomic.Int64
}

// Serve answers requests on every subject of handlers in queue group queue, so
// replicas share the load. Each request's work is bounded by timeout (the RPC timeout:
// the caller gives up after it, so work past it is wasted; 0 leaves it unbounded).
// Requests are handled concurrently (up to MaxConcurrentRequests a subject); handler
// errors travel back in headers and internal causes are logged here, once. On error no
// subscription is left behind.
func Serve(nc *nats.Conn, queue string, timeout time.Duration, log *zap.Logger, handlers map[string]Handler, opts ...ServeOption) (*Responders, error) {
	if log == nil {
		log = zap.NewNop()
	}
	var o serveOptions
	for _, opt := range opts {
		opt(&o)
	}
	metrics := newRPCMetrics(o.metrics)
	r := &Responders{}
	for subject, h := range handlers {
		sem := make(chan struct{}, MaxConcurrentRequests)
		sub, err := nc.QueueSubscribe(subject, queue, func(m *nats.Msg) {
			sem <- struct{}{}
			// Counted before the callback returns, so a Drain that waits for the
			// callback also covers the handler's goroutine.
			r.inflight.Add(1)
			go func() {
				defer func() { <-sem; r.inflight.Add(-1) }()
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if timeout > 0 {
					ctx, cancel = context.WithTimeout(ctx, timeout)
				}
				defer cancel()
				start := time.Now()
				code := respond(ctx, m, subject, log, h)
				if metrics != nil {
					metrics.requests.WithLabelValues(subject, code).Inc()
					metrics.seconds.WithLabelValues(subject).Observe(time.Since(start).Seconds())
				}
			}()
		})
		if err != nil {
			r.Stop(0)
			return nil, fmt.Errorf("serve %s: %w", subject, err)
		}
		r.subs = append(r.subs, sub)
	}
	return r, nil
}

// ServeOption adjusts Serve.
type ServeOption func(*serveOptions)

type serveOptions struct{ metrics prometheus.Registerer }

// ServeMetrics counts and times every request (mgm_rpc_requests_total,
// mgm_rpc_request_duration_seconds) in reg.
func ServeMetrics(reg prometheus.Registerer) ServeOption {
	return func(o *serveOptions) { o.metrics = reg }
}

// Stop stops taking requests and waits, at most timeout, for those already received to
// be answered (so a service can close its database after Stop returns). A nil
// Responders has nothing to stop.
func (r *Responders) Stop(timeout time.Duration) {
	if r == nil {
		return
	}
	for _, s := range r.subs {
		_ = s.Drain()
	}
	deadline := time.Now().Add(timeout)
	for _, s := range r.subs {
		for s.IsValid() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	for r.inflight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// InFlight is how many requests are being handled now.
func (r *Responders) InFlight() int64 { return r.inflight.Load() }
