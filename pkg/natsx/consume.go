package natsx

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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

// Consume runs h for every message of c until ctx ends, one message at a time, and
// settles each (Settle). prefetch bounds the messages held ahead of the handler
// (DefaultPrefetch when 0): keep it small when a handler is slow, so that no message
// waits in the buffer past the consumer's AckWait. On the way out it waits for the
// message in hand and leaves the buffered ones for a redelivery.
func Consume(ctx context.Context, c jetstream.Consumer, log *zap.Logger, prefetch int, h MsgHandler) error {
	if prefetch <= 0 {
		prefetch = DefaultPrefetch
	}
	// mu is held while a message is handled, so stopping waits for the one in hand.
	var mu sync.Mutex
	stopped := false
	cc, err := c.Consume(func(msg jetstream.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || ctx.Err() != nil {
			return // shutting down: leave it for a redelivery
		}
		Settle(msg, h(ctx, msg), log)
	}, jetstream.PullMaxMessages(prefetch))
	if err != nil {
		return err
	}
	<-ctx.Done()
	cc.Stop()
	mu.Lock()
	stopped = true
	mu.Unlock()
	return nil
}

// ConsumeBatches is Consume for handlers that work on batches: it hands the handler
// whatever messages are already waiting (up to max, never waiting for more), so a busy
// stream is applied with one commit per batch and a quiet one without delay. Each
// message is then settled like Consume settles it.
func ConsumeBatches(ctx context.Context, c jetstream.Consumer, log *zap.Logger, max int, h BatchHandler) error {
	ch := make(chan jetstream.Msg, max)
	cc, err := c.Consume(func(m jetstream.Msg) {
		select {
		case ch <- m:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessages(max))
	if err != nil {
		return err
	}
	defer cc.Stop()
	for {
		var batch []jetstream.Msg
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			batch = append(batch, m)
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
		results := h(ctx, batch)
		for i, m := range batch {
			Settle(m, results[i], log)
		}
	}
}

// Settle answers JetStream for a handled message, after the handler's work is
// committed. It is the one place that turns a handler's outcome into Ack, Nak or Term
// (the delivery hints of package errs): nil acks; errs.Later naks with the handler's
// delay; a temporary error (unavailable, internal, rate_limited) naks with RetryDelay;
// errs.Abandon answers nothing (the message returns after AckWait); any other error is
// a poison message, logged at error level and terminated.
func Settle(msg jetstream.Msg, herr error, log *zap.Logger) {
	if herr == nil {
		_ = msg.Ack()
		return
	}
	var delivered uint64 = 1
	if md, err := msg.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	fields := []zap.Field{zap.String("subject", msg.Subject()), zap.Uint64("delivered", delivered), zap.Error(herr)}
	if errs.Abandoned(herr) {
		log.Warn("message left for redelivery", fields...)
		return
	}
	if d, ok := errs.LaterDelay(herr); ok {
		log.Warn("message will be retried", append(fields, zap.Duration("delay", d))...)
		_ = msg.NakWithDelay(d)
		return
	}
	if errs.Temporary(errs.CodeOf(herr)) {
		log.Warn("message failed, will retry", fields...)
		_ = msg.NakWithDelay(RetryDelay(delivered))
		return
	}
	log.Error("message rejected", fields...)
	_ = msg.Term()
}

// Delivery is how many times JetStream has delivered msg (1 the first time).
func Delivery(msg jetstream.Msg) int {
	if md, err := msg.Metadata(); err == nil {
		return int(md.NumDelivered)
	}
	return 1
}

// Durable is the task of a durable pull consumer of stream: it ensures the consumer
// (created or updated, shared by every replica) and consumes until ctx ends (Consume).
func Durable(js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig, log *zap.Logger, prefetch int, h MsgHandler) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := EnsureConsumer(ctx, js, stream, cfg)
		if err != nil {
			return err
		}
		return Consume(ctx, c, log, prefetch, h)
	}
}

// DurableBatches is Durable for a handler of batches (ConsumeBatches).
func DurableBatches(js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig, log *zap.Logger, max int, h BatchHandler) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := EnsureConsumer(ctx, js, stream, cfg)
		if err != nil {
			return err
		}
		return ConsumeBatches(ctx, c, log, max, h)
	}
}
