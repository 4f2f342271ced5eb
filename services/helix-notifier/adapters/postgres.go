// Package adapters is the only code of helix-notifier that knows SQL: the per-payout
// announcement marker in schema "notifier".
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
)

// Schema is helix-notifier's PostgreSQL schema.
const Schema = "notifier"

//go:embed migrations/*.sql
var migrations embed.FS

// Open connects to url on schema notifier and applies the migrations.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return db.Open(ctx, url, Schema, sub)
}

// Repo stores announcement markers.
type Repo struct{ pool *pgxpool.Pool }

// NewRepo wraps an open pool.
func NewRepo(pool *pgxpool.Pool) *Repo { return &Repo{pool: pool} }

const columns = `payout_id, character_name, state, reason, attempts, replays, helix_message_id,
	claimed_at, posted_at, failed_at, created_at, updated_at, coalesce(claimed_by, '')`

func scan(row pgx.Row) (events.Announcement, string, error) {
	var a events.Announcement
	var by string
	err := row.Scan(&a.PayoutID, &a.CharacterName, &a.State, &a.Reason, &a.Attempts, &a.Replays,
		&a.MessageID, &a.ClaimedAt, &a.PostedAt, &a.FailedAt, &a.CreatedAt, &a.UpdatedAt, &by)
	return a, by, err
}

// Claim marks the payout's announcement as being posted by worker, creating the marker
// when this is the first time the payout is seen. It succeeds only from "pending" (or
// no row), in one statement, so of two replicas racing exactly one wins. When the claim
// is refused, the current record is returned with claimed == false.
func (r *Repo) Claim(ctx context.Context, payoutID, name, message, worker string, now time.Time) (a events.Announcement, claimed bool, err error) {
	row := r.pool.QueryRow(ctx, `
		INSERT INTO announcements (payout_id, character_name, message, state, claimed_by, claimed_at, attempts, created_at, updated_at)
		VALUES ($1, $2, $3, 'posting', $4, $5, 1, $5, $5)
		ON CONFLICT (payout_id) DO UPDATE
			SET state = 'posting', claimed_by = $4, claimed_at = $5,
			    attempts = announcements.attempts + 1, updated_at = $5
			WHERE announcements.state = 'pending'
		RETURNING `+columns, payoutID, name, message, worker, now)
	a, _, err = scan(row)
	if err == nil {
		return a, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return a, false, fmt.Errorf("claim announcement %s: %w", payoutID, err)
	}
	a, err = r.Get(ctx, payoutID)
	return a, false, err
}

// Get reads one payout's record (errs.NotFound when none).
func (r *Repo) Get(ctx context.Context, payoutID string) (events.Announcement, error) {
	a, _, err := scan(r.pool.QueryRow(ctx, `SELECT `+columns+` FROM announcements WHERE payout_id = $1`, payoutID))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, errs.E(errs.NotFound, "no announcement for payout %s", payoutID)
	}
	if err != nil {
		return a, fmt.Errorf("get announcement %s: %w", payoutID, err)
	}
	return a, nil
}

// Posted records Helix's is_sent:true. It also overrides an "unknown" set meanwhile by
// another replica: the truth arrived late, and it wins.
func (r *Repo) Posted(ctx context.Context, payoutID, worker, messageID string, now time.Time) error {
	tag, err := r.pool.Exec(ctx, `
		UPDATE announcements SET state = 'posted', helix_message_id = $3, posted_at = $4,
			reason = '', failed_at = NULL, updated_at = $4
		WHERE payout_id = $1 AND claimed_by = $2 AND state IN ('posting', 'unknown')`,
		payoutID, worker, messageID, now)
	if err != nil {
		return fmt.Errorf("record posted %s: %w", payoutID, err)
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.Conflict, "announcement %s is no longer claimed by this notifier", payoutID)
	}
	return nil
}

// Release gives a claim back after an attempt that certainly did not post (or that
// we chose to retry), so a later delivery can claim again.
func (r *Repo) Release(ctx context.Context, payoutID, worker, reason string, now time.Time) error {
	_, err := r.pool.Exec(ctx, `
		UPDATE announcements SET state = 'pending', claimed_by = NULL, reason = $3, updated_at = $4
		WHERE payout_id = $1 AND claimed_by = $2 AND state = 'posting'`, payoutID, worker, reason, now)
	if err != nil {
		return fmt.Errorf("release announcement %s: %w", payoutID, err)
	}
	return nil
}

// Fail records that the announcement was given up on: from this worker's claim, or
// from "pending" (a released claim on the last delivery).
func (r *Repo) Fail(ctx context.Context, payoutID, worker, reason string, now time.Time) (events.Announcement, error) {
	a, _, err := scan(r.pool.QueryRow(ctx, `
		UPDATE announcements SET state = 'failed', claimed_by = NULL, reason = $3, failed_at = $4, updated_at = $4
		WHERE payout_id = $1 AND (state = 'pending' OR (state = 'posting' AND claimed_by = $2))
		RETURNING `+columns, payoutID, worker, reason, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, errs.E(errs.Conflict, "announcement %s is not failable now", payoutID)
	}
	if err != nil {
		return a, fmt.Errorf("record failure %s: %w", payoutID, err)
	}
	return a, nil
}

// FailNew records a failure for a payout not claimed now (an event too old to
// announce, or a pending record given up on); false when the record was already settled
// or claimed.
func (r *Repo) FailNew(ctx context.Context, payoutID, name, message, reason string, now time.Time) (bool, error) {
	tag, err := r.pool.Exec(ctx, `
		INSERT INTO announcements (payout_id, character_name, message, state, reason, failed_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'failed', $4, $5, $5, $5)
		ON CONFLICT (payout_id) DO UPDATE SET state = 'failed', reason = $4, failed_at = $5, updated_at = $5
			WHERE announcements.state = 'pending'`, payoutID, name, message, reason, now)
	if err != nil {
		return false, fmt.Errorf("record failure %s: %w", payoutID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// MarkUnknown turns a claim older than cutoff into "unknown": its notifier stopped while
// posting, so whether the line is in chat cannot be known from here.
func (r *Repo) MarkUnknown(ctx context.Context, payoutID string, cutoff, now time.Time, reason string) (bool, error) {
	tag, err := r.pool.Exec(ctx, `
		UPDATE announcements SET state = 'unknown', reason = $4, failed_at = $3, updated_at = $3
		WHERE payout_id = $1 AND state = 'posting' AND claimed_at < $2`, payoutID, cutoff, now, reason)
	if err != nil {
		return false, fmt.Errorf("mark unknown %s: %w", payoutID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Attention lists what an operator should look at, oldest first: failed and unknown
// records, claims older than staleBefore (reported as unknown: the notifier holding
// them stopped), and pending records untouched since staleBefore (stalled).
func (r *Repo) Attention(ctx context.Context, staleBefore time.Time) ([]events.Announcement, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+columns+` FROM announcements
		WHERE state IN ('failed', 'unknown')
		   OR (state = 'posting' AND claimed_at < $1)
		   OR (state = 'pending' AND updated_at < $1)
		ORDER BY updated_at, payout_id`, staleBefore)
	if err != nil {
		return nil, fmt.Errorf("list failures: %w", err)
	}
	defer rows.Close()
	out := []events.Announcement{}
	for rows.Next() {
		a, _, err := scan(rows)
		if err != nil {
			return nil, err
		}
		if a.State == events.AnnouncementPosting {
			a.State = events.AnnouncementUnknown
			a.Reason = "claimed but never completed: the notifier stopped while posting"
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Rearm makes a failed, unknown, stale-claimed or pending record pending again for a
// replay. Posted records and live claims are refused (errs.Conflict).
func (r *Repo) Rearm(ctx context.Context, payoutID string, staleBefore, now time.Time) (events.Announcement, error) {
	a, _, err := scan(r.pool.QueryRow(ctx, `
		UPDATE announcements SET state = 'pending', claimed_by = NULL, replays = replays + 1,
			reason = 'replay requested', updated_at = $3
		WHERE payout_id = $1 AND (state IN ('failed', 'unknown', 'pending')
			OR (state = 'posting' AND claimed_at < $2))
		RETURNING `+columns, payoutID, staleBefore, now))
	if errors.Is(err, pgx.ErrNoRows) {
		cur, gerr := r.Get(ctx, payoutID)
		if gerr != nil {
			return cur, gerr
		}
		return cur, errs.E(errs.Conflict, "announcement %s is %s; nothing to replay", payoutID, cur.State)
	}
	if err != nil {
		return a, fmt.Errorf("rearm %s: %w", payoutID, err)
	}
	return a, nil
}
