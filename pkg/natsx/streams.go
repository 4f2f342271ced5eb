package natsx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
)

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. EventSub asks for at
// least 10 minutes of replay protection; we keep 20.
const DuplicateWindow = 20 * time.Minute

// StreamMaxAge is how long a stream keeps a message.
const StreamMaxAge = 7 * 24 * time.Hour

// EnsureStreams creates or updates each stream; safe to call from every replica at
// every start-up.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, streams ...events.Stream) error {
	for _, s := range streams {
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
		if err != nil {
			return fmt.Errorf("ensure stream %s: %w", s.Name, err)
		}
	}
	return nil
}

// EnsureConsumer creates or updates a durable pull consumer. Consumers are always
// explicit-ack; callers choose filters, MaxDeliver and BackOff.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	cfg.AckPolicy = jetstream.AckExplicitPolicy
	if cfg.AckWait == 0 {
		cfg.AckWait = 30 * time.Second
	}
	c, err := js.CreateOrUpdateConsumer(ctx, stream, cfg)
	if err != nil {
		// Two replicas racing to create the same consumer: the loser reads it back.
		if errors.Is(err, jetstream.ErrConsumerExists) {
			return js.Consumer(ctx, stream, cfg.Durable)
		}
		return nil, fmt.Errorf("ensure consumer %s/%s: %w", stream, cfg.Durable, err)
	}
	return c, nil
}
