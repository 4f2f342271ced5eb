// Package adapters is the pool's infrastructure: PostgreSQL (the only SQL of the
// service, schema "pool") and JetStream (events and the stats KV key).
package adapters

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/outbox"

	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

// Source is the envelope source of the pool's events.
const Source = "pool"

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the pool's PostgreSQL schema, with its migrations.
var Schema = db.Schema{Name: "pool", Files: migrations}

// Repo is the PostgreSQL repository of the pool.
type Repo struct {
	pool *pgxpool.Pool
}

// NewRepo wraps an open pool (search_path = pool).
func NewRepo(pool *pgxpool.Pool) *Repo { return &Repo{pool: pool} }

var _ app.Repository = (*Repo)(nil)

// state is the locked pool_state row of a changing transaction.
type state struct {
	Version       int64
	PoolSize      int64
	EligibleCount int64
	changed       bool
	outbox        [][]any // events to write with the state, in order
}

// lockState takes the writers' lock. Every changing transaction takes it, so slots stay
// dense and the version follows commit order.
func lockState(ctx context.Context, tx pgx.Tx) (*state, error) {
	var s state
	err := tx.QueryRow(ctx, `SELECT version, pool_size, eligible_count FROM pool_state WHERE id = 1 FOR UPDATE`).
		Scan(&s.Version, &s.PoolSize, &s.EligibleCount)
	if err != nil {
		return nil, fmt.Errorf("lock pool state: %w", err)
	}
	return &s, nil
}

// save writes the counters with a bumped version and the buffered outbox events (one
// COPY for a whole batch).
func (s *state) save(ctx context.Context, tx pgx.Tx) error {
	if len(s.outbox) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"outbox"}, []string{"envelope_id", "subject", "envelope"},
			pgx.CopyFromRows(s.outbox)); err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
		s.outbox = nil
	}
	if !s.changed {
		return nil
	}
	s.Version++
	s.changed = false
	_, err := tx.Exec(ctx, `UPDATE pool_state SET version = $1, pool_size = $2, eligible_count = $3, updated_at = now() WHERE id = 1`,
		s.Version, s.PoolSize, s.EligibleCount)
	if err != nil {
		return fmt.Errorf("save pool state: %w", err)
	}
	return nil
}

// freeSlot fills the hole at slot with the last slot (swap-remove) and shrinks the count.
func (s *state) freeSlot(ctx context.Context, tx pgx.Tx, slot int64) error {
	last := s.EligibleCount - 1
	if slot != last {
		if _, err := tx.Exec(ctx, `UPDATE members SET slot = $1 WHERE slot = $2`, slot, last); err != nil {
			return fmt.Errorf("move slot %d to %d: %w", last, slot, err)
		}
	}
	s.EligibleCount--
	s.changed = true
	return nil
}

// syncSlot gives the viewer's membership a slot when eligible and takes it away when
// not, after any change to membership or viewer facts.
func (s *state) syncSlot(ctx context.Context, tx pgx.Tx, userID string) error {
	var (
		inPool   bool
		slot     *int64
		activeID *string
		lifetime int64
	)
	err := tx.QueryRow(ctx, `SELECT m.twitch_user_id IS NOT NULL, m.slot, v.active_payout_id, v.lifetime_sent_gold
		FROM viewers v LEFT JOIN members m ON m.twitch_user_id = v.twitch_user_id WHERE v.twitch_user_id = $1`, userID).
		Scan(&inPool, &slot, &activeID, &lifetime)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load eligibility of %s: %w", userID, err)
	}
	v := domain.Viewer{TwitchUserID: userID, LifetimeSentGold: lifetime}
	if activeID != nil {
		v.ActivePayoutID = *activeID
	}
	want := domain.Eligible(inPool, v)
	switch {
	case want && slot == nil:
		if _, err := tx.Exec(ctx, `UPDATE members SET slot = $1 WHERE twitch_user_id = $2`, s.EligibleCount, userID); err != nil {
			return fmt.Errorf("assign slot: %w", err)
		}
		s.EligibleCount++
		s.changed = true
	case !want && slot != nil:
		if _, err := tx.Exec(ctx, `UPDATE members SET slot = NULL WHERE twitch_user_id = $1`, userID); err != nil {
			return fmt.Errorf("clear slot: %w", err)
		}
		return s.freeSlot(ctx, tx, *slot)
	}
	return nil
}

func (s *state) addEvent(id, subject string, at time.Time, m events.PoolMember) error {
	m.PoolSize = int(s.PoolSize)
	m.EligibleCount = int(s.EligibleCount)
	env, err := events.New(id, subject, Source, at, m)
	if err != nil {
		return err
	}
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	s.outbox = append(s.outbox, []any{id, subject, b})
	return nil
}

func upsertViewer(ctx context.Context, tx pgx.Tx, userID, display string) error {
	_, err := tx.Exec(ctx, `INSERT INTO viewers (twitch_user_id, display_name) VALUES ($1, $2)
		ON CONFLICT (twitch_user_id) DO UPDATE SET display_name = CASE WHEN excluded.display_name = '' THEN viewers.display_name ELSE excluded.display_name END,
			updated_at = now()`, userID, display)
	if err != nil {
		return fmt.Errorf("upsert viewer: %w", err)
	}
	return nil
}

// Enroll applies one enrollment attempt in a transaction: writers' lock, idempotency
// record, the domain decision, membership, slot, stats version and outbox events. A
// refusal rolls everything back unless req.RememberRefusal records it under req.Key.
func (r *Repo) Enroll(ctx context.Context, req app.EnrollRequest) (app.EnrollResult, error) {
	var out []app.EnrollOutcome
	err := db.InTx(ctx, r.pool, func(tx pgx.Tx) (err error) {
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
func (r *Repo) EnrollBatch(ctx context.Context, reqs []app.EnrollRequest) ([]app.EnrollOutcome, error) {
	for i := range reqs {
		reqs[i].RememberRefusal = true
	}
	var out []app.EnrollOutcome
	err := db.InTx(ctx, r.pool, func(tx pgx.Tx) (err error) {
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

// enrollAll applies reqs in order inside tx, in three round trips whatever their
// number: one reads (the writers' lock, each idempotency record, each viewer's facts,
// every member holding a requester's row or a wanted name), the rules run in Go over
// that snapshot as each request changes it, and one writes (members, refusals, stats,
// then the outbox by COPY). The statements of the write run in the order the rules
// decided, so a name freed by a rename is free for a later request of the same batch.
func enrollAll(ctx context.Context, tx pgx.Tx, reqs []app.EnrollRequest) ([]app.EnrollOutcome, error) {
	out := make([]app.EnrollOutcome, len(reqs))
	var (
		st      state
		read    pgx.Batch
		fresh   = make([]bool, len(reqs))
		viewers = make([]domain.Viewer, len(reqs))
		byUser  = make(map[string]*domain.Member, len(reqs))
		byName  = make(map[string]*domain.Member, len(reqs))
		users   = make([]string, len(reqs))
		names   = make([]string, len(reqs))
	)
	read.Queue(`SELECT version, pool_size, eligible_count FROM pool_state WHERE id = 1 FOR UPDATE`).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&st.Version, &st.PoolSize, &st.EligibleCount); err != nil {
			return fmt.Errorf("lock pool state: %w", err)
		}
		return nil
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
		read.Queue(`INSERT INTO viewers (twitch_user_id, display_name) VALUES ($1, $2)
			ON CONFLICT (twitch_user_id) DO UPDATE SET display_name = CASE WHEN excluded.display_name = '' THEN viewers.display_name ELSE excluded.display_name END,
				updated_at = now()
			RETURNING active_payout_id, lifetime_sent_gold`, want.TwitchUserID, want.DisplayName).QueryRow(func(row pgx.Row) error {
			var active *string
			if err := row.Scan(&active, &viewers[i].LifetimeSentGold); err != nil {
				return fmt.Errorf("upsert viewer: %w", err)
			}
			viewers[i].TwitchUserID = want.TwitchUserID
			if active != nil {
				viewers[i].ActivePayoutID = *active
			}
			return nil
		})
	}
	read.Queue(`SELECT twitch_user_id, display_name, character_name FROM members
		WHERE twitch_user_id = ANY($1) OR folded_name = ANY($2)`, users, names).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			m := new(domain.Member)
			if err := rows.Scan(&m.TwitchUserID, &m.DisplayName, &m.CharacterName); err != nil {
				return fmt.Errorf("load members: %w", err)
			}
			byUser[m.TwitchUserID], byName[m.Folded()] = m, m
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, &read).Close(); err != nil {
		return nil, err
	}

	var write pgx.Batch
	for i, req := range reqs {
		res := &out[i].Result
		if !fresh[i] {
			res.Replay = true
			continue
		}
		res.ReplayName, res.ReplayOutcome = "", ""
		want := req.Member
		current := byUser[want.TwitchUserID]
		change, refusal := domain.Enroll(current, byName[want.Folded()], want)
		if refusal != nil {
			out[i].Refusal = refusal
			if req.Key != "" && req.RememberRefusal {
				write.Queue(`UPDATE enrollment_requests SET outcome = $2 WHERE request_key = $1`,
					req.Key, string(errs.CodeOf(refusal)))
			}
			continue
		}
		res.Change = change
		ev := events.PoolMember{TwitchUserID: want.TwitchUserID, TwitchDisplayName: want.DisplayName, CharacterName: want.CharacterName}
		var err error
		switch change.Kind {
		case domain.Unchanged:
			if want.DisplayName != "" && current.DisplayName != want.DisplayName {
				write.Queue(`UPDATE members SET display_name = $2, updated_at = now() WHERE twitch_user_id = $1`,
					want.TwitchUserID, want.DisplayName)
				current.DisplayName = want.DisplayName
			}
		case domain.Enrolled:
			var slot *int64
			if domain.Eligible(true, viewers[i]) {
				n := st.EligibleCount
				slot = &n
				st.EligibleCount++
			}
			write.Queue(`INSERT INTO members (twitch_user_id, display_name, character_name, folded_name, slot, enrolled_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6)`, want.TwitchUserID, want.DisplayName, want.CharacterName, want.Folded(), slot, req.At)
			m := want
			byUser[m.TwitchUserID], byName[m.Folded()] = &m, &m
			st.PoolSize++
			st.changed = true
			err = st.addEvent(req.EventID+":enrolled", events.PoolMemberEnrolled, req.At, ev)
		case domain.Renamed:
			write.Queue(`UPDATE members SET character_name = $2, folded_name = $3, display_name = $4, updated_at = $5
				WHERE twitch_user_id = $1`, want.TwitchUserID, want.CharacterName, want.Folded(), want.DisplayName, req.At)
			delete(byName, current.Folded())
			m := want
			byUser[m.TwitchUserID], byName[m.Folded()] = &m, &m
			st.changed = true
			ev.OldCharacterName = change.OldName
			err = st.addEvent(req.EventID+":renamed", events.PoolMemberRenamed, req.At, ev)
		default:
			err = fmt.Errorf("unknown enrollment change %q", change.Kind)
		}
		if err != nil {
			return nil, err
		}
	}
	if write.Len() > 0 {
		if err := tx.SendBatch(ctx, &write).Close(); err != nil {
			return nil, fmt.Errorf("apply enrollments: %w", err)
		}
	}
	return out, st.save(ctx, tx)
}

// ApplyPayout folds one payout event in: newer versions only, lifetime total as the
// maximum seen (it never decreases), active payout recomputed, Sent removes the member.
func (r *Repo) ApplyPayout(ctx context.Context, f app.PayoutFact) (app.PayoutResult, error) {
	var res app.PayoutResult
	err := db.InTx(ctx, r.pool, func(tx pgx.Tx) error {
		res = app.PayoutResult{}
		st, err := lockState(ctx, tx)
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
		if err := upsertViewer(ctx, tx, f.TwitchUserID, f.DisplayName); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE viewers SET
				lifetime_sent_gold = GREATEST(lifetime_sent_gold, $2),
				active_payout_id = (SELECT payout_id FROM payouts
					WHERE twitch_user_id = $1 AND status IN ('Pending', 'InProgress') ORDER BY updated_at DESC LIMIT 1)
			WHERE twitch_user_id = $1`, f.TwitchUserID, f.LifetimeSentGold); err != nil {
			return fmt.Errorf("update viewer facts: %w", err)
		}
		st.changed = true // the viewer's facts changed: the stats version moves too
		if f.Status == domain.StatusSent {
			var slot *int64
			var m domain.Member
			err := tx.QueryRow(ctx, `DELETE FROM members WHERE twitch_user_id = $1 RETURNING twitch_user_id, display_name, character_name, slot`,
				f.TwitchUserID).Scan(&m.TwitchUserID, &m.DisplayName, &m.CharacterName, &slot)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return fmt.Errorf("remove member: %w", err)
			default:
				st.PoolSize--
				if slot != nil {
					if err := st.freeSlot(ctx, tx, *slot); err != nil {
						return err
					}
				}
				res.Removed = &m
				if err := st.addEvent("pool:payout:"+f.PayoutID+":removed", events.PoolMemberRemoved, f.At,
					events.PoolMember{TwitchUserID: m.TwitchUserID, TwitchDisplayName: m.DisplayName,
						CharacterName: m.CharacterName, Reason: domain.ReasonSent}); err != nil {
					return err
				}
				return st.save(ctx, tx)
			}
		}
		if err := st.syncSlot(ctx, tx, f.TwitchUserID); err != nil {
			return err
		}
		return st.save(ctx, tx)
	})
	return res, err
}

// Member is the viewer's membership, nil when not in the pool.
func (r *Repo) Member(ctx context.Context, twitchUserID string) (*domain.Member, error) {
	var m domain.Member
	err := r.pool.QueryRow(ctx, `SELECT twitch_user_id, display_name, character_name FROM members WHERE twitch_user_id = $1`, twitchUserID).
		Scan(&m.TwitchUserID, &m.DisplayName, &m.CharacterName)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load member: %w", err)
	}
	return &m, nil
}

// Viewer is what the pool knows of a viewer apart from membership (nil when unknown).
func (r *Repo) Viewer(ctx context.Context, twitchUserID string) (*domain.Viewer, error) {
	var (
		v      domain.Viewer
		active *string
	)
	err := r.pool.QueryRow(ctx, `SELECT twitch_user_id, display_name, active_payout_id, lifetime_sent_gold FROM viewers WHERE twitch_user_id = $1`, twitchUserID).
		Scan(&v.TwitchUserID, &v.DisplayName, &active, &v.LifetimeSentGold)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load viewer: %w", err)
	}
	if active != nil {
		v.ActivePayoutID = *active
	}
	return &v, nil
}

// Stats reads the counters kept by the writers: O(1) at any pool size.
func (r *Repo) Stats(ctx context.Context) (events.PoolStats, error) {
	var (
		st             events.PoolStats
		size, eligible int64
	)
	err := r.pool.QueryRow(ctx, `SELECT version, pool_size, eligible_count, updated_at FROM pool_state WHERE id = 1`).
		Scan(&st.Version, &size, &eligible, &st.UpdatedAt)
	if err != nil {
		return st, fmt.Errorf("load pool stats: %w", err)
	}
	st.PoolSize, st.EligibleCount = int(size), int(eligible)
	st.UpdatedAt = st.UpdatedAt.UTC()
	return st, nil
}

// Draw picks slot r mod n among the n eligible members in a single statement (one
// snapshot, one round trip, one index lookup). r is uniform in [0, 2^62); values from
// the incomplete last block of n are rejected and redrawn, so the pick is exactly
// uniform. With a cycle id the draw is recorded and a repeated call answers the first.
func (r *Repo) Draw(ctx context.Context, spinCycleID string, random func() (int64, error)) (app.Drawn, error) {
	d, err := r.drawOnce(ctx, random)
	if err != nil || spinCycleID == "" {
		return d, err
	}
	var uid, display, name *string
	if d.Member != nil {
		uid, display, name = &d.Member.TwitchUserID, &d.Member.DisplayName, &d.Member.CharacterName
	}
	tag, err := r.pool.Exec(ctx, `INSERT INTO draws (spin_cycle_id, twitch_user_id, display_name, character_name, eligible_count)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (spin_cycle_id) DO NOTHING`, spinCycleID, uid, display, name, d.EligibleCount)
	if err != nil {
		return app.Drawn{}, fmt.Errorf("record draw: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return d, nil
	}
	// This cycle was drawn before (a retry, or another replica): answer that draw.
	rd, _, err := r.recordedDraw(ctx, spinCycleID)
	return rd, err
}

func (r *Repo) drawOnce(ctx context.Context, random func() (int64, error)) (app.Drawn, error) {
	for {
		k, err := random()
		if err != nil {
			return app.Drawn{}, fmt.Errorf("draw random number: %w", err)
		}
		var (
			d                  app.Drawn
			uid, display, name *string
		)
		err = r.pool.QueryRow(ctx, `SELECT s.eligible_count, m.twitch_user_id, m.display_name, m.character_name
			FROM pool_state s LEFT JOIN members m ON m.slot = $1::bigint % NULLIF(s.eligible_count, 0)
			WHERE s.id = 1`, k).Scan(&d.EligibleCount, &uid, &display, &name)
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
		return d, nil
	}
}

func (r *Repo) recordedDraw(ctx context.Context, spinCycleID string) (app.Drawn, bool, error) {
	var (
		d                  app.Drawn
		uid, display, name *string
	)
	err := r.pool.QueryRow(ctx, `SELECT twitch_user_id, display_name, character_name, eligible_count FROM draws WHERE spin_cycle_id = $1`, spinCycleID).
		Scan(&uid, &display, &name, &d.EligibleCount)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("load draw: %w", err)
	}
	if uid != nil {
		d.Member = &domain.Member{TwitchUserID: *uid, DisplayName: deref(display), CharacterName: deref(name)}
	}
	return d, true, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// outboxLock serialises relays across replicas so events leave in commit order.
const outboxLock = int64(0x6d676d706f6f6c) // "mgmpool"

var _ outbox.Rows[events.Envelope] = (*Repo)(nil).RelayOutbox

// RelayOutbox is one pass of the outbox relay (outbox.Rows): the oldest committed
// events, under an advisory lock so replicas relay one at a time and in commit order;
// the ones publish stored are deleted.
func (r *Repo) RelayOutbox(ctx context.Context, limit int, publish func(context.Context, []events.Envelope) (int, error)) (int, error) {
	n := 0
	var pubErr error
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		n, pubErr = 0, nil
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, outboxLock); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, envelope FROM outbox ORDER BY id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		var (
			envs []events.Envelope
			ids  []int64
		)
		for rows.Next() {
			var (
				id int64
				b  []byte
			)
			if err := rows.Scan(&id, &b); err != nil {
				return err
			}
			var env events.Envelope
			if err := json.Unmarshal(b, &env); err != nil {
				return fmt.Errorf("outbox row %d: %w", id, err)
			}
			envs = append(envs, env)
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(envs) == 0 {
			return nil
		}
		stored, err := publish(ctx, envs)
		pubErr = err
		if stored > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM outbox WHERE id = ANY($1)`, ids[:stored]); err != nil {
				return err
			}
		}
		n = stored
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, pubErr
}
