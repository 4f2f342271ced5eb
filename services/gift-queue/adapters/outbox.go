package adapters

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/services/gift-queue/domain"
)

// Outgoing is one outbox event to publish, already in its wire form.
type Outgoing struct {
	EventID    string
	Subject    string
	Payload    []byte
	OccurredAt time.Time
}

var _ outbox.Rows[Outgoing] = (*Postgres)(nil).RelayBatch

// RelayBatch is one pass of the outbox relay (outbox.Rows): up to limit unpublished
// events in one transaction, rows locked FOR UPDATE SKIP LOCKED (replicas take disjoint
// batches), only each request's earliest unpublished event (so a request's events reach
// JetStream in version order), the ones publish stored marked published.
func (s *Postgres) RelayBatch(ctx context.Context, limit int, publish func(context.Context, []Outgoing) (int, error)) (int, error) {
	n := 0
	var pubErr error
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		n, pubErr = 0, nil
		rows, err := tx.Query(ctx, `
			SELECT e.seq, e.event_id, e.subject, e.payload, e.occurred_at
			FROM outbox e
			WHERE e.published_at IS NULL
			  AND NOT EXISTS (SELECT 1 FROM outbox b
			                  WHERE b.request_id = e.request_id AND b.seq < e.seq AND b.published_at IS NULL)
			ORDER BY e.seq
			LIMIT $1
			FOR UPDATE OF e SKIP LOCKED`, limit)
		if err != nil {
			return fmt.Errorf("select unpublished gift events: %w", err)
		}
		var (
			seqs []int64
			outs []Outgoing
		)
		for rows.Next() {
			var (
				seq int64
				o   Outgoing
			)
			if err := rows.Scan(&seq, &o.EventID, &o.Subject, &o.Payload, &o.OccurredAt); err != nil {
				rows.Close()
				return err
			}
			seqs, outs = append(seqs, seq), append(outs, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(outs) == 0 {
			return nil
		}
		stored, err := publish(ctx, outs)
		pubErr = err
		if stored > 0 {
			if _, err := tx.Exec(ctx, `UPDATE outbox SET published_at = now() WHERE seq = ANY($1)`, seqs[:stored]); err != nil {
				return fmt.Errorf("mark gift events published: %w", err)
			}
		}
		n = stored
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, pubErr
}

// Envelope is an outbox row as the event it is.
func Envelope(o Outgoing) (events.Envelope, error) {
	return events.Envelope{
		ID:         o.EventID,
		Type:       o.Subject,
		OccurredAt: o.OccurredAt.UTC(),
		Source:     "gift-queue",
		Data:       json.RawMessage(o.Payload),
	}, nil
}

// storedItem is an offered item as the offered_items column keeps it.
type storedItem struct {
	ItemID  int64  `json:"itemId"`
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Quality int    `json:"quality"`
}

func encodeItems(items []domain.Item) ([]byte, error) {
	out := make([]storedItem, 0, len(items))
	for _, it := range items {
		out = append(out, storedItem(it))
	}
	return json.Marshal(out)
}

func decodeItems(b []byte) ([]domain.Item, error) {
	var in []storedItem
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]domain.Item, 0, len(in))
	for _, it := range in {
		out = append(out, domain.Item(it))
	}
	return out, nil
}
