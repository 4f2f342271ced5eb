// Package adapters is the only code of helix-notifier that knows SQL or how its events
// look on the wire: the announcements in schema "notifier", and the notices published
// on MGM_NOTIFY.
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
	"github.com/mimiron/mgm/services/helix-notifier/app"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is helix-notifier's PostgreSQL schema, with its migrations.
var Schema = db.Schema{Name: "notifier", Files: migrations}

// Postgres stores announcements (app.Repository).
type Postgres struct{ pool *pgxpool.Pool }

var _ app.Repository = (*Postgres)(nil)

// New is the repository on a pool opened with Schema.
func New(pool *pgxpool.Pool) *Postgres { return &Postgres{pool: pool} }

const columns = `payout_id, character_name, message, state, coalesce(claimed_by, ''), claimed_at, attempts, replays,
	helix_message_id, reason, posted_at, failed_at, created_at, updated_at`

func scan(row pgx.Row) (*domain.Announcement, error) {
	var (
		a     domain.Announcement
		state string
	)
	err := row.Scan(&a.PayoutID, &a.CharacterName, &a.Message, &state, &a.ClaimedBy, &a.ClaimedAt, &a.Attempts, &a.Replays,
		&a.MessageID, &a.Reason, &a.PostedAt, &a.FailedAt, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, err
	}
	a.State = domain.State(state)
	for _, t := range []**time.Time{&a.ClaimedAt, &a.PostedAt, &a.FailedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// Update runs fn on payoutID's announcement under its row lock and saves it when fn
// returns nil, in one transaction: of two deliveries or replicas changing the same
// announcement, the second sees what the first did. With create set, a payout seen for
// the first time starts as create's announcement; without, it is errs.NotFound.
func (s *Postgres) Update(ctx context.Context, payoutID string, create *domain.Announcement, fn func(a *domain.Announcement) error) (*domain.Announcement, error) {
	var out *domain.Announcement
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if create != nil {
			if err := insert(ctx, tx, create); err != nil {
				return err
			}
		}
		a, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM announcements WHERE payout_id = $1 FOR UPDATE`, payoutID))
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "no announcement for payout %s", payoutID)
		}
		if err != nil {
			return fmt.Errorf("load announcement %s: %w", payoutID, err)
		}
		if err := fn(a); err != nil {
			return err
		}
		if err := save(ctx, tx, a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

// insert adds a when its payout has no announcement yet (a concurrent insert waits for
// the first to commit, then does nothing).
func insert(ctx context.Context, tx pgx.Tx, a *domain.Announcement) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO announcements (payout_id, character_name, message, state, attempts, replays, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 0, 0, $5, $5)
		ON CONFLICT (payout_id) DO NOTHING`, a.PayoutID, a.CharacterName, a.Message, string(a.State), a.CreatedAt)
	if err != nil {
		return fmt.Errorf("create announcement %s: %w", a.PayoutID, err)
	}
	return nil
}

func save(ctx context.Context, tx pgx.Tx, a *domain.Announcement) error {
	var claimedBy *string
	if a.ClaimedBy != "" {
		claimedBy = &a.ClaimedBy
	}
	_, err := tx.Exec(ctx, `
		UPDATE announcements SET state = $2, claimed_by = $3, claimed_at = $4, attempts = $5, replays = $6,
			helix_message_id = $7, reason = $8, posted_at = $9, failed_at = $10, updated_at = $11
		WHERE payout_id = $1`,
		a.PayoutID, string(a.State), claimedBy, a.ClaimedAt, a.Attempts, a.Replays,
		a.MessageID, a.Reason, a.PostedAt, a.FailedAt, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save announcement %s: %w", a.PayoutID, err)
	}
	return nil
}

// Get reads one payout's announcement (errs.NotFound when none).
func (s *Postgres) Get(ctx context.Context, payoutID string) (*domain.Announcement, error) {
	a, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM announcements WHERE payout_id = $1`, payoutID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "no announcement for payout %s", payoutID)
	}
	if err != nil {
		return nil, fmt.Errorf("get announcement %s: %w", payoutID, err)
	}
	return a, nil
}

// Unsettled lists every announcement not posted, oldest change first: the ones an
// operator may need to look at (domain.Announcement.NeedsAttention decides).
func (s *Postgres) Unsettled(ctx context.Context) ([]*domain.Announcement, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM announcements
		WHERE state <> 'posted' ORDER BY updated_at, payout_id`)
	if err != nil {
		return nil, fmt.Errorf("list announcements: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Announcement, error) { return scan(r) })
}
