package natsx

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// Responders is a service's set of request handlers, served in one queue group.
type Responders struct {
	subs     []*nats.Subscription
	inflight atomic.Int64
}

// ServeAll answers requests on every subject of handlers in queue group queue, like
// Serve, and tracks the requests in flight so Stop can let them finish. On error no
// subscription is left behind.
func ServeAll(nc *nats.Conn, queue string, log *zap.Logger, handlers map[string]Handler) (*Responders, error) {
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
				respond(m, subject, log, h)
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

// Stop stops taking requests and waits, at most timeout, for those already received to
// be answered (so a service can close its database after Stop returns).
func (r *Responders) Stop(timeout time.Duration) {
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
