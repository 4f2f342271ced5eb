package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/pkg/events"
)

// Source is the envelope source of the roulette's events.
const Source = "roulette"

// EventID is the envelope id (and Nats-Msg-Id) of a cycle's event: derived from the
// cycle id and the event kind, so every replica publishing it produces the same
// message and JetStream keeps one.
func EventID(spinCycleID string, kind EventKind) string {
	return uuid.NewSHA1(uuid.MustParse(spinCycleID), []byte(kind)).String()
}

// Envelope is the event of kind for cycle c.
func Envelope(p Pending) (events.Envelope, error) {
	dto := CycleDTO(p.Cycle)
	typ, at := events.RouletteCycleDrawn, p.Cycle.Boundary
	if p.Cycle.DrawnAt != nil {
		at = *p.Cycle.DrawnAt
	}
	if p.Kind == EventCompleted {
		typ = events.RouletteCycleCompleted
		if p.Cycle.CompletedAt != nil {
			at = *p.Cycle.CompletedAt
		}
	}
	return events.New(EventID(p.Cycle.ID, p.Kind), typ, Source, at, dto)
}

// flush publishes every committed, unpublished event (the roulette's outbox).
func (a *App) flush(ctx context.Context) error {
	pending, err := a.Repo.Unpublished(ctx)
	if err != nil {
		return err
	}
	var errList []error
	for _, p := range pending {
		env, err := Envelope(p)
		if err != nil {
			errList = append(errList, err)
			continue
		}
		if err := a.Pub.Publish(ctx, env); err != nil {
			errList = append(errList, err)
			continue
		}
		if err := a.Repo.MarkPublished(ctx, p.Cycle.ID, p.Kind); err != nil {
			errList = append(errList, err)
		}
	}
	return errors.Join(errList...)
}

// State is the current snapshot as PostgreSQL has it (RPCRouletteState).
func (a *App) State(ctx context.Context) (events.RouletteSnapshot, error) {
	s, err := a.Repo.Snapshot(ctx)
	if err != nil {
		return events.RouletteSnapshot{}, err
	}
	out := events.RouletteSnapshot{
		Version:             s.Version,
		SpinIntervalSeconds: int(a.Interval / time.Second),
	}
	if s.Current != nil {
		c := CycleDTO(*s.Current)
		out.Current = &c
	}
	if s.LastSpin != nil {
		c := CycleDTO(*s.LastSpin)
		out.LastSpin = &c
	}
	return out, nil
}

// refreshSnapshot writes the current snapshot to the KV bucket; the publisher's
// compare-and-set keeps a stale replica from overwriting a newer one.
func (a *App) refreshSnapshot(ctx context.Context) error {
	s, err := a.State(ctx)
	if err != nil {
		return err
	}
	if err := a.Pub.PutSnapshot(ctx, s); err != nil {
		return fmt.Errorf("put roulette snapshot v%d: %w", s.Version, err)
	}
	return nil
}
