package main

// Reading the run's records for the audit: sets from the database, whole streams.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
)

func querySet(ctx context.Context, db *pgxpool.Pool, sql string, args ...any) (map[string]bool, error) {
	list, err := queryStrings(ctx, db, sql, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(list))
	for _, s := range list {
		out[s] = true
	}
	return out, nil
}

// readStream calls fn for every message of stream on subject, from the first to the last.
// A cluster that just lost and regained a node may answer a first pull with "no
// responders" (the ephemeral consumer not placed yet): the read starts over, a few times.
func readStream(ctx context.Context, js jetstream.JetStream, stream, subject string, fn func(events.Envelope)) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var got []events.Envelope
		if err = readStreamOnce(ctx, js, stream, subject, func(e events.Envelope) { got = append(got, e) }); err == nil {
			for _, e := range got {
				fn(e)
			}
			return nil
		}
		sleep(ctx, 500*time.Millisecond)
	}
	return err
}

func readStreamOnce(ctx context.Context, js jetstream.JetStream, stream, subject string, fn func(events.Envelope)) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	// An ordered consumer exists only once it fetched; the pending count comes with
	// each message. An empty fetch means the subject holds nothing (more).
	for {
		batch, err := c.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		got, left := 0, uint64(0)
		for m := range batch.Messages() {
			got++
			var env events.Envelope
			if json.Unmarshal(m.Data(), &env) == nil {
				fn(env)
			}
			if md, err := m.Metadata(); err == nil {
				left = md.NumPending
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		if got == 0 || left == 0 {
			return nil
		}
	}
}

func sample(xs []string) string {
	sort.Strings(xs)
	if len(xs) > 8 {
		return strings.Join(xs[:8], ", ") + fmt.Sprintf(", … (%d)", len(xs))
	}
	return strings.Join(xs, ", ")
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
