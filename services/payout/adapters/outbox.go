package adapters

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/services/payout/domain"
)

func fsSub(f fs.FS) (fs.FS, error) { return fs.Sub(f, "migrations") }

// RelayBatch is one pass of the outbox relay. In one transaction it locks up to limit
// committed, unpublished events (FOR UPDATE SKIP LOCKED, so replicas take disjoint
// batches), calls publish for each in store order, marks the ones published and
// commits. Only a payout's earliest unpublished event is eligible, so a payout's
// events reach JetStream in version order even with several relays: the next one is
// taken only after the transaction that published its predecessor committed.
//
// A publish error stops the batch; the events published before it are still marked,
// the rest stay for the next pass. A crash after publishing but before the commit
// republishes those events with the same Nats-Msg-Id, which JetStream drops.
func (s *Postgres) RelayBatch(ctx context.Context, limit int, publish func(context.Context, domain.Recorded) error) (int, error) {
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
		done := make([]string, 0, len(picks))
		for _, pk := range picks {
			h := hist[pk.payoutID]
			if int64(len(h)) < pk.version {
				return fmt.Errorf("payout %s: history shorter than version %d", pk.payoutID, pk.version)
			}
			after, err := domain.Rebuild(h[:pk.version])
			if err != nil {
				return err
			}
			rec := domain.Recorded{Event: h[pk.version-1], After: *after, LifetimeSentGold: pk.lifetime}
			if err := publish(ctx, rec); err != nil {
				pubErr = err
				break
			}
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

// Unpublished counts events not yet relayed.
func (s *Postgres) Unpublished(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM payout_events WHERE published_at IS NULL`).Scan(&n)
	return n, err
}
