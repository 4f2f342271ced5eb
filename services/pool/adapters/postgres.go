// Package adapters is the pool's infrastructure: PostgreSQL (the only SQL of the
// service, schema "pool": the repository, the draw and the outbox) and the state
// bucket (the stats document).
//
// Every changing transaction takes the writers' lock (the pool_state row), loads the
// slice of the pool its change touches into a domain.Roster, lets the roster decide,
// and stores the roster's writes, its events (the outbox) and the counters, in that
// transaction: slots stay dense and the counters' version follows commit order.
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/db"
	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"

	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the pool's PostgreSQL schema, with its migrations.
var Schema = db.Schema{Name: "pool", Files: migrations}

// Postgres is the pool's repository (app.Repository).
type Postgres struct {
	pool *pgxpool.Pool
}

// New is the repository on a pool opened with Schema.
func New(pool *pgxpool.Pool) *Postgres { return &Postgres{pool: pool} }

var _ app.Repository = (*Postgres)(nil)

// The writers' lock and the viewer upsert, shared by every changing transaction.
const (
	lockStateSQL = `SELECT version, pool_size, eligible_count, updated_at FROM pool_state WHERE id = 1 FOR UPDATE`
	// upsertViewerSQL records a viewer (keeping a known display name when the new one
	// is empty) and returns their eligibility inputs.
	upsertViewerSQL = `INSERT INTO viewers (twitch_user_id, display_name) VALUES ($1, $2)
		ON CONFLICT (twitch_user_id) DO UPDATE SET display_name = CASE WHEN excluded.display_name = '' THEN viewers.display_name ELSE excluded.display_name END,
			updated_at = now()
		RETURNING active_payout_id, lifetime_sent_gold`
)

func scanStats(row pgx.Row) (domain.Stats, error) {
	var st domain.Stats
	if err := row.Scan(&st.Version, &st.PoolSize, &st.EligibleCount, &st.UpdatedAt); err != nil {
		return st, fmt.Errorf("lock pool state: %w", err)
	}
	st.UpdatedAt = st.UpdatedAt.UTC()
	return st, nil
}

func scanViewer(row pgx.Row, userID string) (domain.Viewer, error) {
	v := domain.Viewer{TwitchUserID: userID}
	var active *string
	if err := row.Scan(&active, &v.LifetimeSentGold); err != nil {
		return v, fmt.Errorf("upsert viewer: %w", err)
	}
	if active != nil {
		v.ActivePayoutID = *active
	}
	return v, nil
}

// lock takes the writers' lock and starts a roster from the counters.
func lock(ctx context.Context, tx pgx.Tx) (*domain.Roster, error) {
	st, err := scanStats(tx.QueryRow(ctx, lockStateSQL))
	if err != nil {
		return nil, err
	}
	return domain.NewRoster(st), nil
}

// store writes what the roster decided: its writes in order (one round trip for a
// whole batch, together with extra statements), its events into the outbox (one COPY),
// and the counters with a bumped version when anything changed.
func store(ctx context.Context, tx pgx.Tx, r *domain.Roster, extra *pgx.Batch) error {
	b := extra
	if b == nil {
		b = &pgx.Batch{}
	}
	for _, w := range r.Writes() {
		queueWrite(b, w)
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("apply pool changes: %w", err)
		}
	}
	if evs := r.Events(); len(evs) > 0 {
		rows := make([][]any, 0, len(evs))
		for _, e := range evs {
			row, err := outboxRow(e)
			if err != nil {
				return err
			}
			rows = append(rows, row)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"outbox"}, []string{"envelope_id", "subject", "envelope"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
	}
	if !r.Changed() {
		return nil
	}
	st := r.Stats()
	_, err := tx.Exec(ctx, `UPDATE pool_state SET version = $1, pool_size = $2, eligible_count = $3, updated_at = now() WHERE id = 1`,
		st.Version+1, st.PoolSize, st.EligibleCount)
	if err != nil {
		return fmt.Errorf("save pool state: %w", err)
	}
	return nil
}

// queueWrite is the SQL of one roster write.
func queueWrite(b *pgx.Batch, w domain.Write) {
	switch w := w.(type) {
	case domain.MemberAdded:
		m := w.Member
		b.Queue(`INSERT INTO members (twitch_user_id, display_name, character_name, folded_name, slot, enrolled_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, m.TwitchUserID, m.DisplayName, m.CharacterName, m.Folded(), w.Slot, w.At)
	case domain.MemberRenamed:
		m := w.Member
		b.Queue(`UPDATE members SET character_name = $2, folded_name = $3, display_name = $4, updated_at = $5
			WHERE twitch_user_id = $1`, m.TwitchUserID, m.CharacterName, m.Folded(), m.DisplayName, w.At)
	case domain.DisplayNameChanged:
		b.Queue(`UPDATE members SET display_name = $2, updated_at = now() WHERE twitch_user_id = $1`, w.TwitchUserID, w.DisplayName)
	case domain.MemberRemoved:
		b.Queue(`DELETE FROM members WHERE twitch_user_id = $1`, w.TwitchUserID)
	case domain.SlotAssigned:
		b.Queue(`UPDATE members SET slot = $1 WHERE twitch_user_id = $2`, w.Slot, w.TwitchUserID)
	case domain.SlotCleared:
		b.Queue(`UPDATE members SET slot = NULL WHERE twitch_user_id = $1`, w.TwitchUserID)
	case domain.SlotMoved:
		b.Queue(`UPDATE members SET slot = $1 WHERE slot = $2`, w.To, w.From)
	case domain.ViewerFactsChanged:
		v := w.Viewer
		var active *string
		if v.ActivePayoutID != "" {
			active = &v.ActivePayoutID
		}
		b.Queue(`UPDATE viewers SET lifetime_sent_gold = $2, active_payout_id = $3, updated_at = now() WHERE twitch_user_id = $1`,
			v.TwitchUserID, v.LifetimeSentGold, active)
	default:
		panic(fmt.Sprintf("pool: no SQL for %T", w))
	}
}

// Enroll applies one enrollment attempt in a transaction. A refusal rolls everything
// back unless req.RememberRefusal records it under req.Key.
func (p *Postgres) Enroll(ctx context.Context, req app.EnrollRequest) (app.EnrollResult, error) {
	var out []app.EnrollOutcome
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) (err error) {
		out, err = enrollAll(ctx, tx, []app.EnrollRequest{req})
		if err != nil {
			return err
		}
		if o := out[0]; o.Refusal != nil && !(req.Key != "" && req.RememberRefusal) {
			return o.Refusal
		}
		return nil
	})
	if err != nil {
		return app.EnrollResult{}, takenBackstop(err, req.Member.CharacterName)
	}
	return out[0].Result, out[0].Refusal
}

// EnrollBatch applies several chat enrollments in one transaction (one commit for the
// lot: this is what lets the pool keep up with the chat stream). Refusals are recorded
// under their keys (RememberRefusal is implied) and returned per request; an error fails
// the whole batch, which is then retried.
func (p *Postgres) EnrollBatch(ctx context.Context, reqs []app.EnrollRequest) ([]app.EnrollOutcome, error) {
	for i := range reqs {
		reqs[i].RememberRefusal = true
	}
	var out []app.EnrollOutcome
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) (err error) {
		out, err = enrollAll(ctx, tx, reqs)
		return err
	})
	if err != nil {
		// Even a unique violation (which the lock rules out) is retried, never refused:
		// refusing would drop every message of the batch.
		return nil, err
	}
	return out, nil
}

// takenBackstop maps a unique violation on the folded name to the refusal. Writers are
// serialised by the state lock, so it only fires if that discipline is ever broken.
func takenBackstop(err error, name string) error {
	if db.IsUniqueViolation(err, "members_folded_name_key") {
		return errs.Wrap(errs.CharacterNameTaken, err, "character name %s is already in the pool", name)
	}
	return err
}

// enrollAll applies reqs in order inside tx in one read and one write whatever their
// number: the read takes the writers' lock and loads each idempotency record, each
// viewer's eligibility and every member holding a requester's row or a wanted name into
// a roster; the roster applies the rules as each request changes it; then store writes
// what it decided (and the refusals to remember) in the order it decided it.
func enrollAll(ctx context.Context, tx pgx.Tx, reqs []app.EnrollRequest) ([]app.EnrollOutcome, error) {
	out := make([]app.EnrollOutcome, len(reqs))
	var (
		roster *domain.Roster
		read   pgx.Batch
		fresh  = make([]bool, len(reqs))
		users  = make([]string, len(reqs))
		names  = make([]string, len(reqs))
	)
	read.Queue(lockStateSQL).QueryRow(func(row pgx.Row) error {
		st, err := scanStats(row)
		roster = domain.NewRoster(st)
		return err
	})
	for i, req := range reqs {
		want := req.Member
		users[i], names[i] = want.TwitchUserID, want.Folded()
		fresh[i] = true
		if req.Key != "" {
			// The CTE's insert is invisible to its own SELECT: the join finds the earlier
			// record exactly when the key was handled before.
			read.Queue(`WITH ins AS (
					INSERT INTO enrollment_requests (request_key, twitch_user_id, character_name) VALUES ($1, $2, $3)
					ON CONFLICT (request_key) DO NOTHING RETURNING 1)
				SELECT EXISTS (SELECT 1 FROM ins), coalesce(er.character_name, ''), coalesce(er.outcome, '')
				FROM (SELECT 1) one LEFT JOIN enrollment_requests er ON er.request_key = $1`,
				req.Key, want.TwitchUserID, want.CharacterName).QueryRow(func(row pgx.Row) error {
				var outcome string
				if err := row.Scan(&fresh[i], &out[i].Result.ReplayName, &outcome); err != nil {
					return fmt.Errorf("record enrollment request: %w", err)
				}
				out[i].Result.ReplayOutcome = errs.Code(outcome)
				return nil
			})
		}
		read.Queue(upsertViewerSQL, want.TwitchUserID, want.DisplayName).QueryRow(func(row pgx.Row) error {
			v, err := scanViewer(row, want.TwitchUserID)
			roster.LoadViewer(v)
			return err
		})
	}
	read.Queue(`SELECT twitch_user_id, display_name, character_name, slot FROM members
		WHERE twitch_user_id = ANY($1) OR folded_name = ANY($2)`, users, names).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				m    domain.Member
				slot *int64
			)
			if err := rows.Scan(&m.TwitchUserID, &m.DisplayName, &m.CharacterName, &slot); err != nil {
				return fmt.Errorf("load members: %w", err)
			}
			roster.LoadMember(m, slot)
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, &read).Close(); err != nil {
		return nil, err
	}

	var refusals pgx.Batch
	for i, req := range reqs {
		res := &out[i].Result
		if !fresh[i] {
			res.Replay = true
			continue
		}
		res.ReplayName, res.ReplayOutcome = "", ""
		change, err := roster.Enroll(req.Member, req.EventID, req.At)
		if errs.CodeOf(err) == errs.Internal {
			return nil, err
		}
		if err != nil {
			out[i].Refusal = err
			if req.Key != "" && req.RememberRefusal {
				refusals.Queue(`UPDATE enrollment_requests SET outcome = $2 WHERE request_key = $1`, req.Key, string(errs.CodeOf(err)))
			}
			continue
		}
		res.Change = change
	}
	return out, store(ctx, tx, roster, &refusals)
}

// ApplyPayout folds one payout event in: newer versions only (a stale or repeated
// version changes nothing), the viewer's facts from it, Sent removes the member.
func (p *Postgres) ApplyPayout(ctx context.Context, f domain.PayoutFact) (app.PayoutResult, error) {
	var res app.PayoutResult
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		res = app.PayoutResult{}
		roster, err := lock(ctx, tx)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO payouts (payout_id, twitch_user_id, status, version) VALUES ($1, $2, $3, $4)
			ON CONFLICT (payout_id) DO UPDATE SET status = excluded.status, version = excluded.version, updated_at = now()
			WHERE payouts.version < excluded.version`, f.PayoutID, f.TwitchUserID, f.Status, f.Version)
		if err != nil {
			return fmt.Errorf("record payout: %w", err)
		}
		if tag.RowsAffected() == 0 {
			res.Stale = true
			return nil
		}
		v, err := scanViewer(tx.QueryRow(ctx, upsertViewerSQL, f.TwitchUserID, f.DisplayName), f.TwitchUserID)
		if err != nil {
			return err
		}
		roster.LoadViewer(v)
		active, err := activePayout(ctx, tx, f.TwitchUserID)
		if err != nil {
			return err
		}
		var (
			m    domain.Member
			slot *int64
		)
		err = tx.QueryRow(ctx, `SELECT twitch_user_id, display_name, character_name, slot FROM members WHERE twitch_user_id = $1`,
			f.TwitchUserID).Scan(&m.TwitchUserID, &m.DisplayName, &m.CharacterName, &slot)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("load member: %w", err)
		default:
			roster.LoadMember(m, slot)
		}
		res.Removed = roster.ApplyPayout(f, active)
		return store(ctx, tx, roster, nil)
	})
	return res, err
}

// activePayout is the user's active payout as the pool knows their payouts: the most
// recently updated one in an active status ("" when none).
func activePayout(ctx context.Context, tx pgx.Tx, userID string) (string, error) {
	rows, err := tx.Query(ctx, `SELECT payout_id, status FROM payouts WHERE twitch_user_id = $1 ORDER BY updated_at DESC`, userID)
	if err != nil {
		return "", fmt.Errorf("load payouts of %s: %w", userID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return "", err
		}
		if shared.PayoutActive(status) {
			return id, nil
		}
	}
	return "", rows.Err()
}

// Member is the viewer's membership, nil when not in the pool.
func (p *Postgres) Member(ctx context.Context, twitchUserID string) (*domain.Member, error) {
	var m domain.Member
	err := p.pool.QueryRow(ctx, `SELECT twitch_user_id, display_name, character_name FROM members WHERE twitch_user_id = $1`, twitchUserID).
		Scan(&m.TwitchUserID, &m.DisplayName, &m.CharacterName)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load member: %w", err)
	}
	return &m, nil
}

// Stats reads the counters kept by the writers: O(1) at any pool size.
func (p *Postgres) Stats(ctx context.Context) (domain.Stats, error) {
	st, err := scanStats(p.pool.QueryRow(ctx, `SELECT version, pool_size, eligible_count, updated_at FROM pool_state WHERE id = 1`))
	if err != nil {
		return st, fmt.Errorf("load pool stats: %w", err)
	}
	return st, nil
}
