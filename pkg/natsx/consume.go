package natsx

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
)

// MsgHandler processes one JetStream message. It must be idempotent: every message
// may be seen more than once. Its error says what becomes of the message (errs'
// delivery hints, applied by Settle).
type MsgHandler func(ctx context.Context, msg jetstream.Msg) error

// BatchHandler handles messages together and returns one error per message.
type BatchHandler func(ctx context.Context, msgs []jetstream.Msg) []error

// RetryDelay is how long a temporary failure waits before redelivery.
var RetryDelay = func(delivered uint64) time.Duration {
	d := time.Duration(delivered) * 500 * time.Millisecond
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d
}

// DefaultPrefetch is how many messages a consumer holds ahead of its handler.
const DefaultPrefetch = 64

// AckWait is how long JetStream waits for a consumer to answer a message before it
// hands the message to another replica. It is short because it is how long a message
// held by a replica that died stays unseen (the recovery target is 5 s); the replica
// that holds a message — in hand or waiting its turn — tells JetStream it is still at
// work every third of the consumer's AckWait (in-progress acknowledgement: two may be
// lost before a redelivery), so long work is never redelivered while its replica lives.
const AckWait = 3 * time.Second

// Bus is what a consumer needs from its service: JetStream, the logger and the metrics
// registry (svc.Deps.Bus). Metrics may be nil.
type Bus struct {
	JS      jetstream.JetStream
	Log     *zap.Logger
	Metrics prometheus.Registerer
	// Attached, when set, learns of each consumer built on this Bus and whether it is
	// attached yet: the service is not ready before its consumers take messages.
	Attached *Attachments
}

// Attachments counts a service's durable consumers that are not consuming yet.
type Attachments struct {
	mu      sync.Mutex
	pending int
}

// Expect notes a consumer to come; the returned func says it is consuming (once).
func (a *Attachments) Expect() func() {
	if a == nil {
		return func() {}
	}
	a.mu.Lock()
	a.pending++
	a.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			a.pending--
			a.mu.Unlock()
		})
	}
}

// Ready is nil once every consumer expected is consuming (a readiness check).
func (a *Attachments) Ready(context.Context) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending > 0 {
		return errs.E(errs.Unavailable, "%d JetStream consumer(s) not attached yet", a.pending)
	}
	return nil
}

func (b Bus) log() *zap.Logger {
	if b.Log == nil {
		return zap.NewNop()
	}
	return b.Log
}

// held is the set of messages a consumer holds (received, not yet settled), reported
// in progress regularly so that JetStream redelivers them only when the replica holding
// them stopped.
type held struct {
	mu   sync.Mutex
	msgs map[jetstream.Msg]struct{}
}

func newHeld() *held { return &held{msgs: map[jetstream.Msg]struct{}{}} }

func (h *held) add(m jetstream.Msg) {
	h.mu.Lock()
	h.msgs[m] = struct{}{}
	h.mu.Unlock()
}

func (h *held) done(m jetstream.Msg) {
	h.mu.Lock()
	delete(h.msgs, m)
	h.mu.Unlock()
}

func (h *held) beat(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		msgs := make([]jetstream.Msg, 0, len(h.msgs))
		for m := range h.msgs {
			msgs = append(msgs, m)
		}
		h.mu.Unlock()
		for _, m := range msgs {
			_ = m.InProgress()
		}
	}
}

// Consume runs h for every message of c until ctx ends, one message at a time, and
// settles each with s. prefetch bounds the messages held ahead of the handler
// (DefaultPrefetch when 0); every held message is reported in progress while it waits
// and while it is handled. On the way out it waits for the message in hand and hands
// the others back (Nak) for another replica.
func Consume(ctx context.Context, c jetstream.Consumer, s *Settler, prefetch int, h MsgHandler) error {
	if prefetch <= 0 {
		prefetch = DefaultPrefetch
	}
	return ConsumeBatches(ctx, c, s, prefetch, 1, func(ctx context.Context, msgs []jetstream.Msg) []error {
		return []error{h(ctx, msgs[0])}
	})
}

// ConsumeBatches is Consume for handlers that work on batches: it hands the handler
// whatever messages are already waiting (up to max, never waiting for more), so a busy
// stream is applied with one commit per batch and a quiet one without delay. Each
// message is then settled like Consume settles it. prefetch (at least max) bounds the
// messages held.
func ConsumeBatches(ctx context.Context, c jetstream.Consumer, s *Settler, prefetch, max int, h BatchHandler) error {
	return consumeBatches(ctx, c, s, prefetch, max, h, nil)
}

// consumeBatches is ConsumeBatches calling started once it takes messages.
func consumeBatches(ctx context.Context, c jetstream.Consumer, s *Settler, prefetch, max int, h BatchHandler, started func()) error {
	if prefetch < max {
		prefetch = max
	}
	hold := newHeld()
	ch := make(chan jetstream.Msg, prefetch)
	cc, err := c.Consume(func(m jetstream.Msg) {
		hold.add(m)
		s.received(m)
		select {
		case ch <- m:
		case <-ctx.Done():
			// Left in the held set: handed back on the way out.
		}
	}, jetstream.PullMaxMessages(prefetch))
	if err != nil {
		return err
	}
	bctx, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	every := AckWait / 3
	if info := c.CachedInfo(); info != nil && info.Config.AckWait > 0 {
		every = info.Config.AckWait / 3
	}
	go hold.beat(bctx, every)
	defer func() {
		// Going away: stop receiving, and hand what is held back at once (Nak) so
		// another replica takes it now rather than after AckWait.
		cc.Stop()
		stopBeat()
		hold.mu.Lock()
		for m := range hold.msgs {
			_ = m.Nak()
		}
		hold.msgs = map[jetstream.Msg]struct{}{}
		hold.mu.Unlock()
	}()
	if started != nil {
		started()
	}
	for {
		var batch []jetstream.Msg
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			batch = append(batch, m)
		}
		if ctx.Err() != nil {
			return nil // not handled: handed back on the way out
		}
	more:
		for len(batch) < max {
			select {
			case m := <-ch:
				batch = append(batch, m)
			default:
				break more
			}
		}
		start := time.Now()
		results := h(ctx, batch)
		s.handled(time.Since(start))
		for i, m := range batch {
			s.Settle(m, results[i])
			hold.done(m)
		}
	}
}

// Durable is the task of a durable pull consumer of stream: it ensures the consumer
// (created or updated, shared by every replica; AckWait defaults to AckWait), consumes
// until ctx ends (Consume), reports its lag, and handles the operator's replays of its
// dead letters.
func Durable(b Bus, stream string, cfg jetstream.ConsumerConfig, prefetch int, h MsgHandler) func(context.Context) error {
	return DurableBatches(b, stream, cfg, prefetch, 1, func(ctx context.Context, msgs []jetstream.Msg) []error {
		return []error{h(ctx, msgs[0])}
	})
}

// DurableBatches is Durable for a handler of batches of up to max messages
// (ConsumeBatches).
func DurableBatches(b Bus, stream string, cfg jetstream.ConsumerConfig, prefetch, max int, h BatchHandler) func(context.Context) error {
	attached := b.Attached.Expect()
	return func(ctx context.Context) error {
		c, err := EnsureConsumer(ctx, b.JS, stream, cfg)
		if err != nil {
			return err
		}
		replay, err := deadReplayConsumer(ctx, b, cfg.Durable)
		if err != nil {
			return err
		}
		s := NewSettler(b, stream, cfg.Durable)
		go SampleLag(ctx, c, s)
		// Attached (ready) once both the consumer and its replays take messages.
		var mu sync.Mutex
		starts := 0
		started := func() {
			mu.Lock()
			defer mu.Unlock()
			if starts++; starts == 2 {
				attached()
			}
		}
		errc := make(chan error, 1)
		go func() { errc <- consumeReplays(ctx, b, cfg.Durable, replay, h, started) }()
		if prefetch <= 0 {
			prefetch = DefaultPrefetch
		}
		err = consumeBatches(ctx, c, s, prefetch, max, h, started)
		if rerr := <-errc; err == nil {
			err = rerr
		}
		return err
	}
}
