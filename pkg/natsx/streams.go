package natsx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
)

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. EventSub asks for at
// least 10 minutes of replay protection; we keep 20.
const DuplicateWindow = 20 * time.Minute

// StreamMaxAge is how long a stream keeps a message.
const StreamMaxAge = 7 * 24 * time.Hour

// EnsureStreams creates or updates each stream; safe to call from every replica at
// every start-up. A cluster busy creating replicated streams for many services at once
// may not answer within the JetStream API's timeout: that is waited out (up to
// EnsureAttempts tries) rather than ending the service's start.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, streams ...events.Stream) error {
	for _, s := range streams {
		var err error
		for attempt := 1; attempt <= EnsureAttempts; attempt++ {
			if err = ensureStream(ctx, js, s); err == nil || !slowCluster(err) || ctx.Err() != nil {
				break
			}
			pause(ctx)
		}
		if err != nil {
			return fmt.Errorf("ensure stream %s: %w", s.Name, err)
		}
	}
	return nil
}

// EnsureAttempts bounds the tries of a stream or consumer creation the cluster was too
// busy to answer.
const EnsureAttempts = 6

// slowCluster reports a JetStream API request that got no answer in time (or no
// responder yet: a meta leader being elected).
func slowCluster(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

// pause waits a moment between two tries.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(500 * time.Millisecond):
	}
}

func ensureStream(ctx context.Context, js jetstream.JetStream, s events.Stream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       s.Name,
		Subjects:   s.Subjects,
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     StreamMaxAge,
		Duplicates: DuplicateWindow,
		Discard:    jetstream.DiscardOld,
		// Group commit: publishers that write many messages at once send them as
		// one atomic batch, synced to disk once (nats-server 2.12+; older servers
		// ignore the setting and AtomicAllowed reports false).
		AllowAtomicPublish: true,
	})
	return err
}

// EnsureConsumer creates or updates a durable pull consumer. Consumers are always
// explicit-ack, with AckWait unless the caller chose another, and no MaxDeliver: a
// temporary failure is retried for as long as it lasts, and the Settler bounds poison
// (a MaxDeliver would make JetStream stop delivering a message without a trace).
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	cfg.AckPolicy = jetstream.AckExplicitPolicy
	if cfg.AckWait == 0 {
		cfg.AckWait = AckWait
	}
	cfg.MaxDeliver = -1
	var c jetstream.Consumer
	var err error
	for attempt := 1; attempt <= EnsureAttempts; attempt++ {
		if c, err = js.CreateOrUpdateConsumer(ctx, stream, cfg); err == nil || !slowCluster(err) || ctx.Err() != nil {
			break
		}
		pause(ctx)
	}
	if err != nil {
		// Two replicas racing to create the same consumer: the loser reads it back.
		if errors.Is(err, jetstream.ErrConsumerExists) {
			return js.Consumer(ctx, stream, cfg.Durable)
		}
		return nil, fmt.Errorf("ensure consumer %s/%s: %w", stream, cfg.Durable, err)
	}
	return c, nil
}
