package natsx

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// MsgHandler processes one JetStream message. It must be idempotent: every message
// may be seen more than once.
type MsgHandler func(ctx context.Context, msg jetstream.Msg) error

// RetryDelay is how long a temporary failure waits before redelivery.
var RetryDelay = func(delivered uint64) time.Duration {
	d := time.Duration(delivered) * 500 * time.Millisecond
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d
}

// Consume runs h for every message of c until ctx ends. Success acks; a temporary
// error (unavailable, internal, rate_limited) naks with a growing delay; any other
// error is a poison message: logged at error level and terminated.
func Consume(ctx context.Context, c jetstream.Consumer, log *zap.Logger, h MsgHandler) error {
	cc, err := c.Consume(func(msg jetstream.Msg) {
		Settle(msg, h(ctx, msg), log)
	}, jetstream.PullMaxMessages(64))
	if err != nil {
		return err
	}
	<-ctx.Done()
	cc.Stop()
	return nil
}
