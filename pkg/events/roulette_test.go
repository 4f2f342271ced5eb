package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mimiron/mgm/pkg/domain"
)

func TestRouletteSnapshotPhase_FollowsCurrentCycle(t *testing.T) {
	t.Parallel()
	b := time.Date(2026, 4, 4, 12, 5, 0, 0, time.UTC)
	drawnAt := b
	drawn := &Cycle{BoundaryAt: b, DrawnAt: &drawnAt, CharacterName: "Норинн"}
	empty := &Cycle{BoundaryAt: b, DrawnAt: &drawnAt}
	done := &Cycle{BoundaryAt: b, DrawnAt: &drawnAt, CharacterName: "Норинн", Outcome: OutcomeOffline}
	snap := func(c *Cycle) RouletteSnapshot { return RouletteSnapshot{SpinIntervalSeconds: 300, Current: c} }

	assert.Equal(t, domain.PhaseIdle, snap(nil).Phase(b.Add(time.Minute), 0))
	assert.Equal(t, domain.PhaseCollecting, snap(nil).Phase(b.Add(time.Minute), 2))
	assert.Equal(t, domain.PhaseSpinning, snap(drawn).Phase(b.Add(3*time.Second), 2))
	assert.Equal(t, domain.PhaseVerification, snap(drawn).Phase(b.Add(time.Minute), 2))
	assert.Equal(t, domain.PhaseCompleted, snap(done).Phase(b.Add(time.Minute), 2))
	assert.Equal(t, domain.PhaseIdle, snap(empty).Phase(b.Add(time.Minute), 0), "nobody to draw")
	assert.Equal(t, domain.PhaseCollecting, snap(empty).Phase(b.Add(time.Minute), 2), "members, none eligible")
	assert.Equal(t, domain.PhaseCollecting, snap(drawn).Phase(b.Add(301*time.Second), 2), "next boundary not drawn yet")
	assert.Equal(t, 300*time.Second, RouletteSnapshot{}.Interval())
}
