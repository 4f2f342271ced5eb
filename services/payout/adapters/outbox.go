package adapters

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/services/payout/domain"
)

var _ outbox.Rows[domain.Recorded] = (*Postgres)(nil).RelayBatch

// RelayBatch is one pass of the outbox relay (outbox.Rows). In one transaction it locks
// up to limit committed, unpublished events (FOR UPDATE SKIP LOCKED, so replicas take
// disjoint batches), hands them to publish in store order, marks the ones published and
// commits. Only a payout's earliest unpublished event is eligible, so a payout's events
// reach JetStream in version order even with several relays: the next one is taken only
// after the transaction that published its predecessor committed.
//
// A publish error stops the batch; the events published before it are still marked,
// the rest stay for the next pass.
func (s *Postgres) RelayBatch(ctx context.Context, limit int, publish func(context.Context, []domain.Recorded) (int, error)) (int, error) {
	n := 0
	var pubErr error
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		n, pubErr = 0, nil
		rows, err := tx.Query(ctx, `
			SELECT e.event_id::text, e.payout_id::text, e.version, e.lifetime_sent_gold
			FROM payout_events e
			WHERE e.published_at IS NULL
			  AND NOT EXISTS (SELECT 1 FROM payout_events b
			                  WHERE b.payout_id = e.payout_id AND b.version < e.version AND b.published_at IS NULL)
			ORDER BY e.seq
			LIMIT $1
			FOR UPDATE OF e SKIP LOCKED`, limit)
		if err != nil {
			return fmt.Errorf("select unpublished events: %w", err)
		}
		type pick struct {
			eventID, payoutID string
			version, lifetime int64
		}
		var picks []pick
		for rows.Next() {
			var p pick
			if err := rows.Scan(&p.eventID, &p.payoutID, &p.version, &p.lifetime); err != nil {
				rows.Close()
				return err
			}
			picks = append(picks, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(picks) == 0 {
			return nil
		}
		ids := make([]string, 0, len(picks))
		for _, p := range picks {
			ids = append(ids, p.payoutID)
		}
		hist, err := histories(ctx, tx, ids)
		if err != nil {
			return err
		}
		recs := make([]domain.Recorded, 0, len(picks))
		for _, pk := range picks {
			h := hist[pk.payoutID]
			if int64(len(h)) < pk.version {
				return fmt.Errorf("payout %s: history shorter than version %d", pk.payoutID, pk.version)
			}
			after, err := domain.Rebuild(h[:pk.version])
			if err != nil {
				return err
			}
			recs = append(recs, domain.Recorded{Event: h[pk.version-1], After: *after, LifetimeSentGold: pk.lifetime})
		}
		stored, err := publish(ctx, recs)
		pubErr = err
		done := make([]string, 0, stored)
		for _, pk := range picks[:stored] {
			done = append(done, pk.eventID)
		}
		if len(done) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE payout_events SET published_at = now() WHERE event_id = ANY($1::uuid[])`, done); err != nil {
				return fmt.Errorf("mark events published: %w", err)
			}
		}
		n = len(done)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, pubErr
}
