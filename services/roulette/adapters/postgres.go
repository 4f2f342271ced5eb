// Package adapters connects the roulette to the outside: PostgreSQL (the only SQL of the
// service, schema "roulette") and NATS (pool and payout clients, events, the KV snapshot).
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
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/services/roulette/app"
	"github.com/mimiron/mgm/services/roulette/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the roulette's PostgreSQL schema, with its migrations.
var Schema = db.Schema{Name: "roulette", Files: migrations}

// Postgres is app.Repository on PostgreSQL.
type Postgres struct {
	pool *pgxpool.Pool
}

var _ app.Repository = (*Postgres)(nil)

// New wraps an open pool.
func New(pool *pgxpool.Pool) *Postgres { return &Postgres{pool: pool} }

const cycleColumns = `spin_cycle_id::text, boundary_at, interval_ms, verify_deadline, state, drawn_at,
	eligible_count, twitch_user_id, twitch_display_name, character_name, outcome, payout_id, completed_at,
	candidate_enrolled_at`

func scanCycle(row pgx.Row) (domain.Cycle, error) {
	var (
		c                     domain.Cycle
		intervalMS            int64
		state                 string
		userID, display, name *string
		outcome, payoutID     *string
		drawnAt, completedAt  *time.Time
		enrolledAt            *time.Time
		boundary, deadline    time.Time
		eligible              int
	)
	err := row.Scan(&c.ID, &boundary, &intervalMS, &deadline, &state, &drawnAt,
		&eligible, &userID, &display, &name, &outcome, &payoutID, &completedAt, &enrolledAt)
	if err != nil {
		return c, err
	}
	c.Boundary, c.Deadline = boundary.UTC(), deadline.UTC()
	c.Interval = time.Duration(intervalMS) * time.Millisecond
	c.State = domain.State(state)
	c.DrawnAt, c.CompletedAt = utcPtr(drawnAt), utcPtr(completedAt)
	c.EligibleCount = eligible
	if name != nil {
		c.Candidate = &domain.Candidate{TwitchUserID: deref(userID), TwitchDisplayName: deref(display), CharacterName: *name}
		if enrolledAt != nil {
			c.Candidate.EnrolledAt = enrolledAt.UTC()
		}
	}
	c.Outcome = domain.Outcome(deref(outcome))
	c.PayoutID = deref(payoutID)
	return c, nil
}

// EnsureCycle inserts the pending cycle unless its boundary has one.
func (p *Postgres) EnsureCycle(ctx context.Context, c domain.Cycle) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO cycles (spin_cycle_id, boundary_at, interval_ms, verify_deadline, state)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		c.ID, c.Boundary, c.Interval.Milliseconds(), c.Deadline, string(c.State))
	if err != nil {
		return fmt.Errorf("ensure cycle %s: %w", c.ID, err)
	}
	return nil
}

// DrawPending locks the cycle with SKIP LOCKED, so replicas ticking the same boundary
// do not queue behind the drawing one: they find nothing and move on; after the
// drawer commits, the cycle is no longer pending. The lock is held across fn (the pool
// request): if the drawing replica dies, PostgreSQL releases it and another replica
// may draw within the window.
func (p *Postgres) DrawPending(ctx context.Context, id string, fn func(c *domain.Cycle) error) (bool, error) {
	drew := false
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		drew = false
		c, err := scanCycle(tx.QueryRow(ctx, `SELECT `+cycleColumns+` FROM cycles
			WHERE spin_cycle_id = $1 AND state = 'pending' FOR UPDATE SKIP LOCKED`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		if err := saveCycle(ctx, tx, c); err != nil {
			return err
		}
		drew = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("draw cycle %s: %w", id, err)
	}
	return drew, nil
}

// UpdateCycle locks the cycle (FOR UPDATE, waiting), runs fn and saves on change.
func (p *Postgres) UpdateCycle(ctx context.Context, id string, fn func(c *domain.Cycle) (bool, error)) (domain.Cycle, error) {
	var out domain.Cycle
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		c, err := scanCycle(tx.QueryRow(ctx, `SELECT `+cycleColumns+` FROM cycles WHERE spin_cycle_id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "no spin cycle %s", id)
		}
		if err != nil {
			return fmt.Errorf("load cycle %s: %w", id, err)
		}
		changed, err := fn(&c)
		if err != nil {
			return err
		}
		if changed {
			if err := saveCycle(ctx, tx, c); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

// saveCycle writes the mutable columns and bumps the snapshot version in the same
// transaction.
func saveCycle(ctx context.Context, tx pgx.Tx, c domain.Cycle) error {
	var userID, display, name *string
	var enrolledAt *time.Time
	if cd := c.Candidate; cd != nil {
		userID, display, name = &cd.TwitchUserID, &cd.TwitchDisplayName, &cd.CharacterName
		if !cd.EnrolledAt.IsZero() {
			enrolledAt = &cd.EnrolledAt
		}
	}
	_, err := tx.Exec(ctx, `UPDATE cycles SET state = $2, drawn_at = $3, eligible_count = $4,
		twitch_user_id = $5, twitch_display_name = $6, character_name = $7,
		outcome = $8, payout_id = $9, completed_at = $10, candidate_enrolled_at = $11, updated_at = now()
		WHERE spin_cycle_id = $1`,
		c.ID, string(c.State), c.DrawnAt, c.EligibleCount, userID, display, name,
		nullable(string(c.Outcome)), nullable(c.PayoutID), c.CompletedAt, enrolledAt)
	if err != nil {
		return fmt.Errorf("save cycle %s: %w", c.ID, err)
	}
	return bumpVersion(ctx, tx)
}

// bumpVersion takes the state_version row lock last and briefly, so versions follow
// commit order: a snapshot read at version v sees every change up to v.
func bumpVersion(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE state_version SET version = version + 1`); err != nil {
		return fmt.Errorf("bump state version: %w", err)
	}
	return nil
}

// MissPending marks pending cycles whose boundary is before cutoff as missed. A cycle
// being drawn right now is locked; this waits for it and then finds it no longer pending.
func (p *Postgres) MissPending(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := p.pool.Exec(ctx, `UPDATE cycles SET state = 'missed', updated_at = now()
		WHERE state = 'pending' AND boundary_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("mark missed cycles: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ExpireOverdue completes overdue awaiting cycles with no_report. The UPDATE re-checks
// its condition on rows another transaction just changed, so a report committed first
// wins and the sweep skips that cycle.
func (p *Postgres) ExpireOverdue(ctx context.Context, now time.Time) ([]domain.Cycle, error) {
	var out []domain.Cycle
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `UPDATE cycles SET state = 'completed', outcome = 'no_report',
			completed_at = $1, updated_at = now()
			WHERE state = 'awaiting' AND verify_deadline < $1
			RETURNING `+cycleColumns, now)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Cycle, error) { return scanCycle(r) })
		if err != nil {
			return err
		}
		if len(out) > 0 {
			return bumpVersion(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expire overdue cycles: %w", err)
	}
	return out, nil
}

// Awaiting is the newest cycle awaiting its report at now.
func (p *Postgres) Awaiting(ctx context.Context, now time.Time) (domain.Cycle, error) {
	c, err := scanCycle(p.pool.QueryRow(ctx, `SELECT `+cycleColumns+` FROM cycles
		WHERE state = 'awaiting' AND verify_deadline >= $1
		ORDER BY boundary_at DESC LIMIT 1`, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.E(errs.NotFound, "no cycle awaits a report")
	}
	if err != nil {
		return c, fmt.Errorf("awaiting cycle: %w", err)
	}
	return c, nil
}

// NextDeadline is the earliest deadline of an awaiting cycle.
func (p *Postgres) NextDeadline(ctx context.Context) (time.Time, bool, error) {
	var d *time.Time
	if err := p.pool.QueryRow(ctx, `SELECT min(verify_deadline) FROM cycles WHERE state = 'awaiting'`).Scan(&d); err != nil {
		return time.Time{}, false, fmt.Errorf("next deadline: %w", err)
	}
	if d == nil {
		return time.Time{}, false, nil
	}
	return d.UTC(), true, nil
}

// Snapshot reads the version and the two cycles in one repeatable-read transaction.
func (p *Postgres) Snapshot(ctx context.Context) (app.Snapshot, error) {
	var s app.Snapshot
	err := pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM state_version`).Scan(&s.Version); err != nil {
			return err
		}
		var err error
		if s.Current, err = optionalCycle(tx.QueryRow(ctx, `SELECT `+cycleColumns+` FROM cycles
			WHERE drawn_at IS NOT NULL ORDER BY boundary_at DESC LIMIT 1`)); err != nil {
			return err
		}
		s.LastSpin, err = optionalCycle(tx.QueryRow(ctx, `SELECT `+cycleColumns+` FROM cycles
			WHERE outcome IS NOT NULL ORDER BY boundary_at DESC LIMIT 1`))
		return err
	})
	if err != nil {
		return s, fmt.Errorf("read roulette snapshot: %w", err)
	}
	return s, nil
}

func optionalCycle(row pgx.Row) (*domain.Cycle, error) {
	c, err := scanCycle(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

var _ outbox.Rows[app.Pending] = (*Postgres)(nil).RelayBatch

// RelayBatch is one pass of the outbox relay (outbox.Rows): the committed events not
// yet acknowledged by JetStream (a drawn cycle whose drawn event, a completed cycle whose
// completed event is unpublished), oldest boundary first, handed to publish; the ones it
// stored are marked. Replicas may publish the same event at once: its id is derived from
// the cycle and the kind, so JetStream keeps one.
func (p *Postgres) RelayBatch(ctx context.Context, limit int, publish func(context.Context, []app.Pending) (int, error)) (int, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+cycleColumns+`,
		drawn_at IS NOT NULL AND NOT drawn_published,
		outcome IS NOT NULL AND NOT completed_published
		FROM cycles
		WHERE (drawn_at IS NOT NULL AND NOT drawn_published) OR (outcome IS NOT NULL AND NOT completed_published)
		ORDER BY boundary_at LIMIT $1`, limit)
	if err != nil {
		return 0, fmt.Errorf("unpublished events: %w", err)
	}
	var pending []app.Pending
	for rows.Next() {
		var needDrawn, needCompleted bool
		c, err := scanCycle(scanTail{rows, []any{&needDrawn, &needCompleted}})
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("unpublished events: %w", err)
		}
		if needDrawn {
			pending = append(pending, app.Pending{Kind: app.EventDrawn, Cycle: c})
		}
		if needCompleted {
			pending = append(pending, app.Pending{Kind: app.EventCompleted, Cycle: c})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(pending) == 0 {
		return 0, err
	}
	n, pubErr := publish(ctx, pending)
	for _, pe := range pending[:n] {
		col := "drawn_published"
		if pe.Kind == app.EventCompleted {
			col = "completed_published"
		}
		if _, err := p.pool.Exec(ctx, `UPDATE cycles SET `+col+` = true WHERE spin_cycle_id = $1`, pe.Cycle.ID); err != nil {
			return 0, fmt.Errorf("mark %s event of %s published: %w", pe.Kind, pe.Cycle.ID, err)
		}
	}
	return n, pubErr
}

// scanTail scans a row whose leading columns are a cycle, followed by extra columns.
type scanTail struct {
	row   pgx.Row
	extra []any
}

func (s scanTail) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
