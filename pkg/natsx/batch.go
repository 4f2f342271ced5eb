package natsx

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
)

// BatchHandler handles messages together and returns one error per message.
type BatchHandler func(ctx context.Context, msgs []jetstream.Msg) []error

// ConsumeBatches is Consume for handlers that work on batches: it hands the handler
// whatever messages are already waiting (up to max, never waiting for more), so a busy
// stream is applied with one commit per batch and a quiet one without delay. Each
// message is then settled like Consume settles it (Settle).
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
// committed: nil acks; a temporary error (unavailable, internal, rate_limited) naks
// with RetryDelay; any other error is a poison message, logged at error level and
// terminated.
func Settle(msg jetstream.Msg, herr error, log *zap.Logger) {
	if herr == nil {
		_ = msg.Ack()
		return
	}
	var delivered uint64 = 1
	if md, err := msg.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	if errs.Temporary(errs.CodeOf(herr)) {
		log.Warn("message failed, will retry", zap.String("subject", msg.Subject()),
			zap.Uint64("delivered", delivered), zap.Error(herr))
		_ = msg.NakWithDelay(RetryDelay(delivered))
		return
	}
	log.Error("message rejected", zap.String("subject", msg.Subject()), zap.Error(herr))
	_ = msg.Term()
}
