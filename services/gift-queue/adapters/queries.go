package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/gift-queue/domain"
)

// The repository's reads outside a change.

// Open lists the streamer's open requests (served first, then pending), oldest first.
func (s *Postgres) Open(ctx context.Context, streamerID string) ([]*domain.Request, error) {
	return openOf(ctx, s.pool, streamerID)
}

// LatestOf is the viewer's most recent request, nil when none.
func (s *Postgres) LatestOf(ctx context.Context, streamerID, twitchUserID string) (*domain.Request, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests
		WHERE streamer_id = $1 AND twitch_user_id = $2 ORDER BY seq DESC LIMIT 1`, streamerID, twitchUserID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest gift request: %w", err)
	}
	return r, nil
}

// Used reports whether the viewer completed a gift from the streamer.
func (s *Postgres) Used(ctx context.Context, streamerID, twitchUserID string) (bool, error) {
	var used bool
	err := s.pool.QueryRow(ctx, usedSQL, streamerID, twitchUserID).Scan(&used)
	return used, err
}

// Get reads one request.
func (s *Postgres) Get(ctx context.Context, id string) (*domain.Request, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "gift request not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get gift request: %w", err)
	}
	return r, nil
}
