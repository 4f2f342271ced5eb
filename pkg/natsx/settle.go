package natsx

// Answering JetStream for a message: Ack, NakWithDelay or Term, decided once from the
// handler's error (errs' delivery hints).

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
)

// Settler answers JetStream for the messages of one consumer. It is the one place that
// turns a handler's outcome into Ack, Nak or Term (the delivery hints of package errs):
//
//   - nil acks;
//   - errs.Later naks with the handler's delay;
//   - a temporary error (unavailable, internal, rate_limited) naks with RetryDelay, for
//     as long as it takes;
//   - errs.Abandon answers nothing (the message returns after AckWait);
//   - any other error is poison: it is tried PoisonDeliveries times in all (PoisonDelay
//     apart), then kept on MGM_DEAD (keepDead) and terminated. When the dead letter
//     cannot be stored the message is tried again later instead: it is never dropped.
type Settler struct {
	Bus      Bus
	Stream   string // where the consumer reads
	Consumer string // its durable name
	metrics  *consumerMetrics
}

// NewSettler is the Settler of consumer on stream.
func NewSettler(b Bus, stream, consumer string) *Settler {
	return &Settler{Bus: b, Stream: stream, Consumer: consumer, metrics: newConsumerMetrics(b.Metrics)}
}

func (s *Settler) count(outcome string) {
	if s.metrics != nil {
		s.metrics.outcomes.WithLabelValues(s.Consumer, outcome).Inc()
	}
}

// received notes a delivery (redeliveries are counted).
func (s *Settler) received(msg jetstream.Msg) {
	if s.metrics != nil && Delivery(msg) > 1 {
		s.metrics.redelivered.WithLabelValues(s.Consumer).Inc()
	}
}

func (s *Settler) handled(d time.Duration) {
	if s.metrics != nil {
		s.metrics.seconds.WithLabelValues(s.Consumer).Observe(d.Seconds())
	}
}

// Settle answers JetStream for msg after the handler's work is committed.
func (s *Settler) Settle(msg jetstream.Msg, herr error) {
	log := s.Bus.log()
	if herr == nil {
		_ = msg.Ack()
		s.count(OutcomeAck)
		return
	}
	var delivered uint64 = 1
	if md, err := msg.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	fields := []zap.Field{zap.String("consumer", s.Consumer), zap.String("subject", msg.Subject()), zap.Uint64("delivered", delivered), zap.Error(herr)}
	if errs.Abandoned(herr) {
		log.Warn("message left for redelivery", fields...)
		s.count(OutcomeAbandon)
		return
	}
	if d, ok := errs.LaterDelay(herr); ok {
		log.Warn("message will be retried", append(fields, zap.Duration("delay", d))...)
		_ = msg.NakWithDelay(d)
		s.count(OutcomeLater)
		return
	}
	if errs.Temporary(errs.CodeOf(herr)) {
		log.Warn("message failed, will retry", fields...)
		_ = msg.NakWithDelay(RetryDelay(delivered))
		s.count(OutcomeRetry)
		return
	}
	if delivered < PoisonDeliveries {
		log.Warn("message failed for good, will try again", append(fields, zap.Int("of", PoisonDeliveries))...)
		_ = msg.NakWithDelay(PoisonDelay(delivered))
		s.count(OutcomePoisonRetry)
		return
	}
	if s.Bus.JS == nil {
		log.Error("message failed for good and there is nowhere to keep it; it will be tried again", fields...)
		_ = msg.NakWithDelay(RetryDelay(delivered))
		s.count(OutcomeRetry)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := EnsureStreams(ctx, s.Bus.JS, events.StreamDead); err == nil {
		err = keepDead(ctx, s.Bus.JS, s.Stream, s.Consumer, msg, herr)
		if err == nil {
			log.Error("message given up on: kept as a dead letter on "+events.StreamDead.Name, fields...)
			_ = msg.Term()
			s.count(OutcomeDeadLetter)
			return
		}
		fields = append(fields, zap.NamedError("keep", err))
	} else {
		fields = append(fields, zap.NamedError("keep", err))
	}
	log.Error("message failed for good and could not be kept yet; it will be tried again", fields...)
	_ = msg.NakWithDelay(RetryDelay(delivered))
	s.count(OutcomeRetry)
}

// Delivery is how many times JetStream has delivered msg (1 the first time).
func Delivery(msg jetstream.Msg) int {
	if md, err := msg.Metadata(); err == nil {
		return int(md.NumDelivered)
	}
	return 1
}
