package adapters

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/outbox"
	"github.com/mimiron/mgm/services/pool/domain"
)

// Source is the envelope source of the pool's events.
const Source = "pool"

// subjects maps the pool's events to their subjects.
var subjects = map[domain.EventKind]string{
	domain.EventEnrolled: events.PoolMemberEnrolled,
	domain.EventRenamed:  events.PoolMemberRenamed,
	domain.EventRemoved:  events.PoolMemberRemoved,
}

// Envelope is the wire form of a pool event (events.PoolMember on its subject).
func Envelope(e domain.Event) (events.Envelope, error) {
	subject, ok := subjects[e.Kind]
	if !ok {
		return events.Envelope{}, fmt.Errorf("no subject for pool event %q", e.Kind)
	}
	return events.New(e.ID, subject, Source, e.At, events.PoolMember{
		TwitchUserID:      e.Member.TwitchUserID,
		TwitchDisplayName: e.Member.DisplayName,
		CharacterName:     e.Member.CharacterName,
		OldCharacterName:  e.OldName,
		Reason:            e.Reason,
		PoolSize:          int(e.PoolSize),
		EligibleCount:     int(e.EligibleCount),
	})
}

// outboxRow is an event as the outbox table keeps it: in its wire form, so the relay
// publishes rows as they are.
func outboxRow(e domain.Event) ([]any, error) {
	env, err := Envelope(e)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return []any{env.ID, env.Type, b}, nil
}

// outboxLock serialises relays across replicas so events leave in commit order.
const outboxLock = int64(0x6d676d706f6f6c) // "mgmpool"

var _ outbox.Rows[events.Envelope] = (*Postgres)(nil).RelayOutbox

// RelayOutbox is one pass of the outbox relay (outbox.Rows): the oldest committed
// events, under an advisory lock so replicas relay one at a time and in commit order;
// the ones publish stored are deleted.
func (p *Postgres) RelayOutbox(ctx context.Context, limit int, publish func(context.Context, []events.Envelope) (int, error)) (int, error) {
	n := 0
	var pubErr error
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
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
