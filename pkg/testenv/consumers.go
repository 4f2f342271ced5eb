package testenv

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
)

// CaughtUp reports whether the durable consumer has taken every message its stream
// holds for it and has nothing awaiting an acknowledgement (a message held back with a
// delay still awaits one). It compares the consumer's delivered stream sequence with
// the stream's last message on the consumer's filter subjects rather than reading the
// consumer's NumPending: the server counts a new message into NumPending
// asynchronously (nats-server stream.go, signalConsumersLoop), so right after a publish
// is acknowledged a consumer may still report nothing pending — on a loaded machine,
// long enough for a test to move on before the message is handled.
func CaughtUp(ctx context.Context, js jetstream.JetStream, stream, consumer string) (bool, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return false, err
	}
	c, err := s.Consumer(ctx, consumer)
	if err != nil {
		return false, err
	}
	return caughtUp(ctx, s, c)
}

// AllCaughtUp is CaughtUp for every consumer of every stream named (streams that do not
// exist are skipped).
func AllCaughtUp(ctx context.Context, js jetstream.JetStream, streams ...string) (bool, error) {
	for _, name := range streams {
		s, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		var names []string
		list := s.ConsumerNames(ctx)
		for n := range list.Name() {
			names = append(names, n)
		}
		if err := list.Err(); err != nil {
			return false, err
		}
		for _, n := range names {
			c, err := s.Consumer(ctx, n)
			if errors.Is(err, jetstream.ErrConsumerNotFound) {
				continue // an ephemeral consumer gone meanwhile
			}
			if err != nil {
				return false, err
			}
			ok, err := caughtUp(ctx, s, c)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

func caughtUp(ctx context.Context, s jetstream.Stream, c jetstream.Consumer) (bool, error) {
	info, err := c.Info(ctx)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return true, nil // an ephemeral consumer gone meanwhile
	}
	if err != nil {
		return false, err
	}
	cfg := info.Config
	if info.NumAckPending > 0 || info.NumPending > 0 {
		return false, nil
	}
	filters := cfg.FilterSubjects
	if cfg.FilterSubject != "" {
		filters = append(filters, cfg.FilterSubject)
	}
	if len(filters) == 0 {
		si, err := s.Info(ctx)
		if err != nil {
			return false, err
		}
		return si.State.LastSeq <= info.Delivered.Stream, nil
	}
	for _, f := range filters {
		m, err := s.GetLastMsgForSubject(ctx, f)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if m.Sequence > info.Delivered.Stream {
			return false, nil
		}
	}
	return true, nil
}
