package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mimiron/mgm/services/payout/domain"
)

// terminalStatuses are the statuses a payout ends in (it leaves the active ones for good).
var terminalStatuses = func() []string {
	var out []string
	for _, st := range domain.Statuses {
		if st.Terminal() {
			out = append(out, string(st))
		}
	}
	return out
}()

// lastEnded fills the holder's payout that ended last and the one that became Sent
// last, with when: the latest events that moved one of the user's payouts to a terminal
// status, and to Sent. Called under the user's lock.
func lastEnded(ctx context.Context, tx pgx.Tx, h *domain.Holder) error {
	if err := lastMove(ctx, tx, h.TwitchUserID, terminalStatuses, &h.LastEndedPayoutID, &h.LastEndedAt); err != nil {
		return fmt.Errorf("find the last ended payout: %w", err)
	}
	if err := lastMove(ctx, tx, h.TwitchUserID, []string{string(domain.Sent)}, &h.LastSentPayoutID, &h.LastSentAt); err != nil {
		return fmt.Errorf("find the last sent payout: %w", err)
	}
	return nil
}

// lastMove finds the user's latest status change into one of statuses; nothing is set
// when there is none.
func lastMove(ctx context.Context, tx pgx.Tx, user string, statuses []string, id *string, at *time.Time) error {
	err := tx.QueryRow(ctx, `
		SELECT e.payout_id::text, e.occurred_at
		FROM payout_events e JOIN payouts p ON p.id = e.payout_id
		WHERE p.twitch_user_id = $1 AND e.type = $2 AND e.data->>'to' = ANY($3)
		ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 1`,
		user, string(domain.EventStatusChanged), statuses).Scan(id, at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	*at = at.UTC()
	return nil
}
