package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/services/roulette/domain"
)

// EventKind names the two events a cycle publishes.
type EventKind string

// The cycle's events.
const (
	EventDrawn     EventKind = "drawn"
	EventCompleted EventKind = "completed"
)

// Pending is an event to publish: the cycle as it is now and which event.
type Pending struct {
	Kind  EventKind
	Cycle domain.Cycle
}

// EventID is the envelope id (and Nats-Msg-Id) of a cycle's event: derived from the
// cycle id and the event kind, so every replica publishing it produces the same
// message and JetStream keeps one.
func EventID(spinCycleID string, kind EventKind) string {
	return uuid.NewSHA1(uuid.MustParse(spinCycleID), []byte(kind)).String()
}

// flush publishes every committed, unpublished event (the roulette's outbox).
func (a *Service) flush(ctx context.Context) error {
	_, err := a.Outbox.Drain(ctx)
	return err
}

// State is the current snapshot as PostgreSQL has it (RPCRouletteState).
func (a *Service) State(ctx context.Context) (Snapshot, error) {
	s, err := a.Repo.Snapshot(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	s.Interval = a.Interval.Truncate(time.Second)
	return s, nil
}

// refreshSnapshot writes the current snapshot to the KV bucket; the compare-and-set
// keeps a stale replica from overwriting a newer one.
func (a *Service) refreshSnapshot(ctx context.Context) error {
	s, err := a.State(ctx)
	if err != nil {
		return err
	}
	if err := a.Snapshots.Put(ctx, s); err != nil {
		return fmt.Errorf("put roulette snapshot v%d: %w", s.Version, err)
	}
	return nil
}
