// Package adapters is the only code of the gift queue that knows SQL: schema "gift"
// with the per-streamer lock rows, the requests, the idempotency keys and the outbox.
//
// Concurrency: every change to a streamer's queue first locks that streamer's queues
// row (FOR UPDATE), loads the open requests, lets the domain decide and writes the
// result and its events in the same transaction. Replicas therefore never serve two
// requests at once or promote twice; the partial unique indexes are the database's own
// guarantee behind that lock.
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/gift-queue/app"
	"github.com/mimiron/mgm/services/gift-queue/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the gift queue owns, with its migrations.
var Schema = db.Schema{Name: "gift", Files: migrations}

// Postgres is the gift request repository (app.Repository).
type Postgres struct {
	pool   *pgxpool.Pool
	encode Encoder
}

// Encoder is a change's event in its wire form: the outbox keeps events as they will
// be published (ports.EncodeChange).
type Encoder func(c domain.Change) (id, subject string, payload []byte, err error)

var _ app.Repository = (*Postgres)(nil)

// New is the repository on a pool opened with Schema, writing events with encode.
func New(pool *pgxpool.Pool, encode Encoder) *Postgres { return &Postgres{pool: pool, encode: encode} }

// usedSQL reports whether a viewer completed a gift from a streamer.
const usedSQL = `SELECT EXISTS (SELECT 1 FROM requests WHERE streamer_id = $1 AND twitch_user_id = $2 AND status = 'Completed')`

var openStatuses = []string{string(domain.Pending), string(domain.SelectingItem), string(domain.WaitingConfirmation)}

const requestColumns = `id::text, seq, streamer_id, twitch_user_id, twitch_display_name, character_name, source,
	request_id, status, reason, offered_items, item_id, item_name, item_count, created_at, updated_at,
	promoted_at, selected_at, accepted_at, completed_at, failed_at, deadline_at, version`

func scanRequest(row pgx.Row) (*domain.Request, error) {
	var (
		r      domain.Request
		status string
		items  []byte
	)
	err := row.Scan(&r.ID, &r.Seq, &r.StreamerID, &r.TwitchUserID, &r.TwitchDisplayName, &r.CharacterName, &r.Source,
		&r.RequestID, &status, &r.Reason, &items, &r.ItemID, &r.ItemName, &r.ItemCount, &r.CreatedAt, &r.UpdatedAt,
		&r.PromotedAt, &r.SelectedAt, &r.AcceptedAt, &r.CompletedAt, &r.FailedAt, &r.DeadlineAt, &r.Version)
	if err != nil {
		return nil, err
	}
	r.Status = domain.Status(status)
	if r.OfferedItems, err = decodeItems(items); err != nil {
		return nil, fmt.Errorf("decode offered items of %s: %w", r.ID, err)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	for _, p := range []**time.Time{&r.PromotedAt, &r.SelectedAt, &r.AcceptedAt, &r.CompletedAt, &r.FailedAt, &r.DeadlineAt} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	r.StoredVersion = r.Version
	return &r, nil
}

func scanRequests(rows pgx.Rows) ([]*domain.Request, error) {
	defer rows.Close()
	out := []*domain.Request{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func openOf(ctx context.Context, q querier, streamerID string) ([]*domain.Request, error) {
	rows, err := q.Query(ctx, `SELECT `+requestColumns+` FROM requests
		WHERE streamer_id = $1 AND status = ANY($2) ORDER BY seq`, streamerID, openStatuses)
	if err != nil {
		return nil, fmt.Errorf("load open gift requests: %w", err)
	}
	return scanRequests(rows)
}

// lockQueue creates the streamer's row if needed, locks it and loads the open requests.
// With skipLocked it reports ok=false instead of waiting for another holder.
func lockQueue(ctx context.Context, tx pgx.Tx, streamerID string, skipLocked bool) (*domain.Queue, bool, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO queues (streamer_id) VALUES ($1) ON CONFLICT DO NOTHING`, streamerID); err != nil {
		return nil, false, fmt.Errorf("create gift queue: %w", err)
	}
	sql := `SELECT streamer_id FROM queues WHERE streamer_id = $1 FOR UPDATE`
	if skipLocked {
		sql += ` SKIP LOCKED`
	}
	var got string
	err := tx.QueryRow(ctx, sql, streamerID).Scan(&got)
	if skipLocked && errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("lock gift queue: %w", err)
	}
	open, err := openOf(ctx, tx, streamerID)
	if err != nil {
		return nil, false, err
	}
	return &domain.Queue{StreamerID: streamerID, Open: open}, true, nil
}

// Create runs decide on the streamer's locked queue, with whether the viewer already
// completed a gift, unless the key was handled before (then the earlier request is
// returned as a replay). Refusals decided here are recorded under the key when asked.
func (s *Postgres) Create(ctx context.Context, streamerID, twitchUserID string, key app.Key,
	decide func(q *domain.Queue, used bool) (*domain.Request, error)) (app.CreateResult, error) {
	var (
		res     app.CreateResult
		refusal error
	)
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		res, refusal = app.CreateResult{}, nil
		q, _, err := lockQueue(ctx, tx, streamerID, false)
		if err != nil {
			return err
		}
		res.Queue = q
		if key.Key != "" {
			var (
				reqID   *string
				outcome string
			)
			err := tx.QueryRow(ctx, `SELECT request_id::text, outcome FROM request_keys WHERE key = $1`, key.Key).Scan(&reqID, &outcome)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return fmt.Errorf("find request key: %w", err)
			default:
				res.Replay = true
				if reqID == nil {
					res.Refusal = errs.E(errs.Code(outcome), "this request was refused before")
					return nil
				}
				r, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1`, *reqID))
				if err != nil {
					return fmt.Errorf("load replayed gift request: %w", err)
				}
				res.Request = inQueue(q, r)
				return nil
			}
		}
		var used bool
		if err := tx.QueryRow(ctx, usedSQL, streamerID, twitchUserID).Scan(&used); err != nil {
			return fmt.Errorf("check gift usage: %w", err)
		}
		r, derr := decide(q, used)
		if derr != nil {
			if !key.RememberRefusal || key.Key == "" || errs.Temporary(errs.CodeOf(derr)) {
				return derr
			}
			refusal = derr
			_, err := tx.Exec(ctx, `INSERT INTO request_keys (key, outcome) VALUES ($1, $2)`, key.Key, string(errs.CodeOf(derr)))
			return err
		}
		if err := s.save(ctx, tx, q); err != nil {
			return err
		}
		if key.Key != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO request_keys (key, request_id) VALUES ($1, $2)`, key.Key, r.ID); err != nil {
				return fmt.Errorf("record request key: %w", err)
			}
		}
		res.Request = r
		return nil
	})
	if err != nil {
		return app.CreateResult{}, conflicts(err)
	}
	if refusal != nil {
		return res, refusal
	}
	return res, nil
}

// inQueue is the queue's own copy of r when r is open, else r.
func inQueue(q *domain.Queue, r *domain.Request) *domain.Request {
	for _, o := range q.Open {
		if o.ID == r.ID {
			return o
		}
	}
	return r
}

// Update loads request id of streamerID's queue under the queue's lock, runs fn and
// stores every change it made (to this request and to any it promoted). Unknown ids,
// and ids of another streamer, are not_found.
func (s *Postgres) Update(ctx context.Context, streamerID, id string, fn func(q *domain.Queue, r *domain.Request) error) (*domain.Request, *domain.Queue, error) {
	var (
		out *domain.Request
		oq  *domain.Queue
	)
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `SELECT streamer_id FROM requests WHERE id = $1`, id).Scan(&owner)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && owner != streamerID) {
			return errs.E(errs.NotFound, "gift request not found")
		}
		if err != nil {
			return fmt.Errorf("find gift request: %w", err)
		}
		q, _, err := lockQueue(ctx, tx, streamerID, false)
		if err != nil {
			return err
		}
		r, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1`, id))
		if err != nil {
			return fmt.Errorf("load gift request: %w", err)
		}
		r = inQueue(q, r)
		if err := fn(q, r); err != nil {
			return err
		}
		if err := s.save(ctx, tx, q); err != nil {
			return err
		}
		out, oq = r, q
		return nil
	})
	if err != nil {
		return nil, nil, conflicts(err)
	}
	return out, oq, nil
}

// Attention lists the streamers whose queue the sweep must look at at now: a served
// request past its deadline, or pending requests with none served.
func (s *Postgres) Attention(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT streamer_id FROM requests
		WHERE status IN ('SelectingItem', 'WaitingConfirmation') AND deadline_at <= $1
		UNION
		SELECT p.streamer_id FROM requests p
		WHERE p.status = 'Pending' AND NOT EXISTS (
			SELECT 1 FROM requests a WHERE a.streamer_id = p.streamer_id
			AND a.status IN ('SelectingItem', 'WaitingConfirmation'))`, now)
	if err != nil {
		return nil, fmt.Errorf("find gift queues to sweep: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Sweep runs fn on streamerID's queue if no one else holds it (SKIP LOCKED: a replica
// or a request busy with it will leave it right, and the next pass looks again) and
// stores the changes. It reports the changes made.
func (s *Postgres) Sweep(ctx context.Context, streamerID string, fn func(q *domain.Queue)) ([]domain.Change, error) {
	var changes []domain.Change
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		changes = nil
		q, ok, err := lockQueue(ctx, tx, streamerID, true)
		if err != nil || !ok {
			return err
		}
		fn(q)
		if err := s.save(ctx, tx, q); err != nil {
			return err
		}
		changes = q.Changes()
		return nil
	})
	return changes, conflicts(err)
}

// save writes the queue's changed requests and appends one outbox event per change.
func (s *Postgres) save(ctx context.Context, tx pgx.Tx, q *domain.Queue) error {
	changes := q.Changes()
	if len(changes) == 0 {
		return nil
	}
	// The last change of each request is its state to store.
	last := map[string]domain.Request{}
	var order []string
	for _, c := range changes {
		if _, seen := last[c.After.ID]; !seen {
			order = append(order, c.After.ID)
		}
		last[c.After.ID] = c.After
	}
	seqs := map[string]int64{}
	for _, id := range order {
		r := last[id]
		items, err := encodeItems(r.OfferedItems)
		if err != nil {
			return err
		}
		if r.StoredVersion == 0 {
			var seq int64
			err := tx.QueryRow(ctx, `
				INSERT INTO requests (id, streamer_id, twitch_user_id, twitch_display_name, character_name, source,
					request_id, status, reason, offered_items, item_id, item_name, item_count, created_at, updated_at,
					promoted_at, selected_at, accepted_at, completed_at, failed_at, deadline_at, version)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)
				RETURNING seq`,
				r.ID, r.StreamerID, r.TwitchUserID, r.TwitchDisplayName, r.CharacterName, r.Source,
				r.RequestID, string(r.Status), r.Reason, items, r.ItemID, r.ItemName, r.ItemCount, r.CreatedAt, r.UpdatedAt,
				r.PromotedAt, r.SelectedAt, r.AcceptedAt, r.CompletedAt, r.FailedAt, r.DeadlineAt, r.Version).Scan(&seq)
			if err != nil {
				return fmt.Errorf("insert gift request: %w", err)
			}
			seqs[id] = seq
			continue
		}
		tag, err := tx.Exec(ctx, `
			UPDATE requests SET status = $2, reason = $3, offered_items = $4, item_id = $5, item_name = $6,
				item_count = $7, updated_at = $8, promoted_at = $9, selected_at = $10, accepted_at = $11,
				completed_at = $12, failed_at = $13, deadline_at = $14, version = $15
			WHERE id = $1 AND version = $16`,
			r.ID, string(r.Status), r.Reason, items, r.ItemID, r.ItemName,
			r.ItemCount, r.UpdatedAt, r.PromotedAt, r.SelectedAt, r.AcceptedAt,
			r.CompletedAt, r.FailedAt, r.DeadlineAt, r.Version, r.StoredVersion)
		if err != nil {
			return fmt.Errorf("update gift request: %w", err)
		}
		if tag.RowsAffected() != 1 {
			return errs.E(errs.Conflict, "gift request changed concurrently; retry")
		}
	}
	for _, c := range changes {
		id, subject, payload, err := s.encode(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO outbox (event_id, request_id, version, subject, payload, occurred_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			id, c.After.ID, c.After.Version, subject, payload, c.After.UpdatedAt); err != nil {
			return fmt.Errorf("append gift event: %w", err)
		}
	}
	// The stored versions and creation order, for callers that keep using the queue.
	for _, r := range q.Open {
		if seq, ok := seqs[r.ID]; ok {
			r.Seq = seq
		}
		r.StoredVersion = r.Version
	}
	return nil
}

// conflicts turns a broken uniqueness rule (a writer that bypassed the lock) into a
// retryable conflict rather than an internal error.
func conflicts(err error) error {
	if err != nil && db.IsUniqueViolation(err, "") {
		return errs.Wrap(errs.Conflict, err, "gift queue changed concurrently; retry")
	}
	return err
}
