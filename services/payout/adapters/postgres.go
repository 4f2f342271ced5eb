// Package adapters is the only code of the payout service that knows SQL: the event
// store (payout_events, append-only, also the outbox), the payouts read model and the
// per-user totals, kept in schema "payout".
//
// Concurrency: every change to a user's payouts first locks that user's payout_users
// row, so create, status changes, acceptance, announcements and the expiry sweep of
// one user are serialised across replicas; UNIQUE(payout_id, version) on the events
// and the partial unique index "one active payout per user" are the database's own
// guarantees behind that lock.
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/payout/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the payout service owns, with its migrations.
var Schema = db.Schema{Name: "payout", Files: migrations}

// Postgres is the payout repository (app.Repository).
type Postgres struct {
	pool *pgxpool.Pool
}

// New is the repository on a pool opened with Schema.
func New(pool *pgxpool.Pool) *Postgres { return &Postgres{pool: pool} }

var activeStatuses = []string{string(domain.Pending), string(domain.InProgress)}

// Create runs decide under the user's lock with the payout already created for the
// spin cycle (nil when none) and the user's totals, and stores what it returns.
func (s *Postgres) Create(ctx context.Context, req domain.NewPayout,
	decide func(existing *domain.Payout, h domain.Holder) (*domain.Payout, error)) (*domain.Payout, error) {
	var out *domain.Payout
	attempt := func() error {
		return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			lifetime, err := lockUser(ctx, tx, req.TwitchUserID)
			if err != nil {
				return err
			}
			var existing *domain.Payout
			var existingID string
			err = tx.QueryRow(ctx, `SELECT id::text FROM payouts WHERE spin_cycle_id = $1`, req.SpinCycleID).Scan(&existingID)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return fmt.Errorf("find payout of cycle: %w", err)
			default:
				if existing, err = load(ctx, tx, existingID); err != nil {
					return err
				}
			}
			h := domain.Holder{TwitchUserID: req.TwitchUserID, LifetimeSentGold: lifetime}
			err = tx.QueryRow(ctx, `SELECT id::text FROM payouts WHERE twitch_user_id = $1 AND status = ANY($2)`,
				req.TwitchUserID, activeStatuses).Scan(&h.ActivePayoutID)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("find active payout: %w", err)
			}
			if err := lastEnded(ctx, tx, &h); err != nil {
				return err
			}
			p, err := decide(existing, h)
			if err != nil {
				return err
			}
			if err := save(ctx, tx, p, lifetime); err != nil {
				return err
			}
			out = p
			return nil
		})
	}
	err := attempt()
	if db.IsUniqueViolation(err, "payouts_spin_cycle_id_key") {
		// Another user's create for the same cycle won the race: decide again, now
		// with that payout as the existing one.
		err = attempt()
	}
	if db.IsUniqueViolation(err, "payouts_one_active_per_user") {
		return nil, errs.Wrap(errs.ActivePayoutExists, err, "the winner already has an active payout")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update loads payout id under its owner's lock, runs fn and stores the events fn
// raised. Unknown ids are not_found.
func (s *Postgres) Update(ctx context.Context, id string, fn func(p *domain.Payout) error) (*domain.Payout, error) {
	var out *domain.Payout
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var user string
		// The owner never changes, so reading it before taking the lock is safe.
		err := tx.QueryRow(ctx, `SELECT twitch_user_id FROM payouts WHERE id = $1`, id).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "payout not found")
		}
		if err != nil {
			return fmt.Errorf("find payout: %w", err)
		}
		lifetime, err := lockUser(ctx, tx, user)
		if err != nil {
			return err
		}
		p, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if err := save(ctx, tx, p, lifetime); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ExpireDue runs expire on up to limit active payouts created before cutoff, oldest
// first, in one transaction. Owners locked by another transaction (a client's update,
// another replica's sweep) are skipped (SKIP LOCKED) and picked up by a later pass.
// It returns how many payouts expire changed.
func (s *Postgres) ExpireDue(ctx context.Context, cutoff time.Time, limit int, expire func(p *domain.Payout) bool) (int, error) {
	n := 0
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `
			SELECT p.id::text, u.lifetime_sent_gold
			FROM payouts p JOIN payout_users u USING (twitch_user_id)
			WHERE p.status = ANY($1) AND p.created_at < $2
			ORDER BY p.created_at, p.seq
			LIMIT $3
			FOR UPDATE OF u SKIP LOCKED`, activeStatuses, cutoff, limit)
		if err != nil {
			return fmt.Errorf("select due payouts: %w", err)
		}
		type due struct {
			id       string
			lifetime int64
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.lifetime); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range list {
			p, err := load(ctx, tx, d.id)
			if err != nil {
				return err
			}
			// The events decide, not the row we selected: expire re-checks the status.
			if !expire(p) {
				continue
			}
			if err := save(ctx, tx, p, d.lifetime); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// lockUser creates the user's row if needed, locks it and returns the lifetime total.
func lockUser(ctx context.Context, tx pgx.Tx, user string) (int64, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO payout_users (twitch_user_id) VALUES ($1) ON CONFLICT DO NOTHING`, user); err != nil {
		return 0, fmt.Errorf("create payout user: %w", err)
	}
	var lifetime int64
	if err := tx.QueryRow(ctx, `SELECT lifetime_sent_gold FROM payout_users WHERE twitch_user_id = $1 FOR UPDATE`, user).Scan(&lifetime); err != nil {
		return 0, fmt.Errorf("lock payout user: %w", err)
	}
	return lifetime, nil
}

// load folds payout id from its events.
func load(ctx context.Context, q pgx.Tx, id string) (*domain.Payout, error) {
	hist, err := histories(ctx, q, []string{id})
	if err != nil {
		return nil, err
	}
	return domain.Rebuild(hist[id])
}

// histories reads the events of the given payouts, each in version order.
func histories(ctx context.Context, q pgx.Tx, ids []string) (map[string][]domain.Event, error) {
	rows, err := q.Query(ctx, `
		SELECT event_id::text, payout_id::text, version, type, data, occurred_at
		FROM payout_events WHERE payout_id = ANY($1::uuid[]) ORDER BY payout_id, version`, ids)
	if err != nil {
		return nil, fmt.Errorf("load payout events: %w", err)
	}
	defer rows.Close()
	out := make(map[string][]domain.Event, len(ids))
	for rows.Next() {
		var (
			e   domain.Event
			typ string
			raw []byte
		)
		if err := rows.Scan(&e.ID, &e.PayoutID, &e.Version, &typ, &raw, &e.OccurredAt); err != nil {
			return nil, err
		}
		if e.Data, err = domain.DecodeData(domain.EventType(typ), raw); err != nil {
			return nil, err
		}
		e.OccurredAt = e.OccurredAt.UTC()
		out[e.PayoutID] = append(out[e.PayoutID], e)
	}
	return out, rows.Err()
}

// save appends p's raised events and brings the read model and the owner's total up
// to date, in the caller's transaction.
func save(ctx context.Context, tx pgx.Tx, p *domain.Payout, lifetimeBefore int64) error {
	changes := p.Changes()
	if len(changes) == 0 {
		return nil
	}
	lifetime := lifetimeBefore
	for i := range changes {
		e := &changes[i]
		e.ID = uuid.NewString()
		lifetime += domain.SentGoldDelta(p, *e)
		data, err := domain.EncodeData(e.Data)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO payout_events (event_id, payout_id, version, type, data, occurred_at, lifetime_sent_gold)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.ID, e.PayoutID, e.Version, string(e.Type()), data, e.OccurredAt, lifetime)
		if db.IsUniqueViolation(err, "payout_events_payout_id_version_key") {
			return errs.Wrap(errs.Conflict, err, "payout changed concurrently; retry")
		}
		if err != nil {
			return fmt.Errorf("append %s: %w", e.Type(), err)
		}
	}
	if first := changes[0].Version; first == 1 {
		_, err := tx.Exec(ctx, `
			INSERT INTO payouts (id, twitch_user_id, twitch_display_name, character_name, gold_amount,
				spin_cycle_id, status, created_at, updated_at, accepted_at, reward_announced, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			p.ID, p.TwitchUserID, p.TwitchDisplayName, p.CharacterName, p.GoldAmount,
			p.SpinCycleID, string(p.Status), p.CreatedAt, p.UpdatedAt, p.AcceptedAt, p.Announced, p.Version)
		if err != nil {
			return fmt.Errorf("insert payout: %w", err)
		}
	} else {
		tag, err := tx.Exec(ctx, `
			UPDATE payouts SET status = $2, updated_at = $3, accepted_at = $4, reward_announced = $5, version = $6
			WHERE id = $1 AND version = $7`,
			p.ID, string(p.Status), p.UpdatedAt, p.AcceptedAt, p.Announced, p.Version, first-1)
		if err != nil {
			return fmt.Errorf("update payout: %w", err)
		}
		if tag.RowsAffected() != 1 {
			return errs.E(errs.Conflict, "payout changed concurrently; retry")
		}
	}
	if lifetime != lifetimeBefore {
		if _, err := tx.Exec(ctx, `UPDATE payout_users SET lifetime_sent_gold = $2 WHERE twitch_user_id = $1`,
			p.TwitchUserID, lifetime); err != nil {
			return fmt.Errorf("update lifetime: %w", err)
		}
	}
	p.ClearChanges()
	return nil
}

const payoutColumns = `id::text, twitch_user_id, twitch_display_name, character_name, gold_amount,
	spin_cycle_id, status, created_at, updated_at, accepted_at, reward_announced, version`

func scanPayout(row pgx.Row) (*domain.Payout, error) {
	var (
		p      domain.Payout
		status string
	)
	err := row.Scan(&p.ID, &p.TwitchUserID, &p.TwitchDisplayName, &p.CharacterName, &p.GoldAmount,
		&p.SpinCycleID, &status, &p.CreatedAt, &p.UpdatedAt, &p.AcceptedAt, &p.Announced, &p.Version)
	if err != nil {
		return nil, err
	}
	p.Status = domain.Status(status)
	p.CreatedAt = p.CreatedAt.UTC()
	p.UpdatedAt = p.UpdatedAt.UTC()
	if p.AcceptedAt != nil {
		at := p.AcceptedAt.UTC()
		p.AcceptedAt = &at
	}
	return &p, nil
}

// Get reads one payout from the read model.
func (s *Postgres) Get(ctx context.Context, id string) (*domain.Payout, error) {
	p, err := scanPayout(s.pool.QueryRow(ctx, `SELECT `+payoutColumns+` FROM payouts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "payout not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get payout: %w", err)
	}
	return p, nil
}

// LatestOf is the user's most recently created payout.
func (s *Postgres) LatestOf(ctx context.Context, twitchUserID string) (*domain.Payout, error) {
	p, err := scanPayout(s.pool.QueryRow(ctx, `SELECT `+payoutColumns+` FROM payouts
		WHERE twitch_user_id = $1 ORDER BY created_at DESC, seq DESC LIMIT 1`, twitchUserID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "no payout for this viewer")
	}
	if err != nil {
		return nil, fmt.Errorf("latest payout: %w", err)
	}
	return p, nil
}

// Active lists Pending and InProgress payouts, oldest first.
func (s *Postgres) Active(ctx context.Context) ([]*domain.Payout, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+payoutColumns+` FROM payouts
		WHERE status = ANY($1) ORDER BY created_at, seq`, activeStatuses)
	if err != nil {
		return nil, fmt.Errorf("active payouts: %w", err)
	}
	defer rows.Close()
	out := []*domain.Payout{}
	for rows.Next() {
		p, err := scanPayout(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
