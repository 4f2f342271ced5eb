package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

// Draw picks slot r mod n among the n eligible members in a single statement (one
// snapshot, one round trip, one index lookup). r is uniform in [0, 2^62); values from
// the incomplete last block of n are rejected and redrawn, so the pick is exactly
// uniform. With a cycle id the draw is recorded and a repeated call answers the first.
func (p *Postgres) Draw(ctx context.Context, spinCycleID string, random func() (int64, error)) (app.Drawn, error) {
	d, err := p.drawOnce(ctx, random)
	if err != nil || spinCycleID == "" {
		return d, err
	}
	var uid, display, name *string
	var enrolled *time.Time
	if d.Member != nil {
		uid, display, name, enrolled = &d.Member.TwitchUserID, &d.Member.DisplayName, &d.Member.CharacterName, &d.EnrolledAt
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO draws (spin_cycle_id, twitch_user_id, display_name, character_name, eligible_count, enrolled_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (spin_cycle_id) DO NOTHING`, spinCycleID, uid, display, name, d.EligibleCount, enrolled)
	if err != nil {
		return app.Drawn{}, fmt.Errorf("record draw: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return d, nil
	}
	// This cycle was drawn before (a retry, or another replica): answer that draw.
	rd, _, err := p.recordedDraw(ctx, spinCycleID)
	return rd, err
}

func (p *Postgres) drawOnce(ctx context.Context, random func() (int64, error)) (app.Drawn, error) {
	for {
		k, err := random()
		if err != nil {
			return app.Drawn{}, fmt.Errorf("draw random number: %w", err)
		}
		var (
			d                  app.Drawn
			uid, display, name *string
			enrolled           *time.Time
		)
		err = p.pool.QueryRow(ctx, `SELECT s.eligible_count, m.twitch_user_id, m.display_name, m.character_name, m.enrolled_at
			FROM pool_state s LEFT JOIN members m ON m.slot = $1::bigint % NULLIF(s.eligible_count, 0)
			WHERE s.id = 1`, k).Scan(&d.EligibleCount, &uid, &display, &name, &enrolled)
		if err != nil {
			return app.Drawn{}, fmt.Errorf("draw: %w", err)
		}
		if d.EligibleCount == 0 {
			return d, nil
		}
		if k >= app.RandomLimit-app.RandomLimit%d.EligibleCount {
			continue // the incomplete last block: redraw to stay exactly uniform
		}
		if uid == nil {
			return app.Drawn{}, fmt.Errorf("draw: slot %d of %d is empty", k%d.EligibleCount, d.EligibleCount)
		}
		d.Member = &domain.Member{TwitchUserID: *uid, DisplayName: deref(display), CharacterName: deref(name)}
		if enrolled != nil {
			d.EnrolledAt = enrolled.UTC()
		}
		return d, nil
	}
}

func (p *Postgres) recordedDraw(ctx context.Context, spinCycleID string) (app.Drawn, bool, error) {
	var (
		d                  app.Drawn
		uid, display, name *string
		enrolled           *time.Time
	)
	err := p.pool.QueryRow(ctx, `SELECT twitch_user_id, display_name, character_name, eligible_count, enrolled_at FROM draws WHERE spin_cycle_id = $1`, spinCycleID).
		Scan(&uid, &display, &name, &d.EligibleCount, &enrolled)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("load draw: %w", err)
	}
	if uid != nil {
		d.Member = &domain.Member{TwitchUserID: *uid, DisplayName: deref(display), CharacterName: deref(name)}
	}
	if enrolled != nil {
		d.EnrolledAt = enrolled.UTC()
	}
	return d, true, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
