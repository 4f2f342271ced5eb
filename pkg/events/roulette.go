package events

import (
	"time"

	"github.com/mimiron/mgm/pkg/domain"
)

// Interval is the snapshot's spin interval (the default 300 s when unset).
func (s RouletteSnapshot) Interval() time.Duration {
	if s.SpinIntervalSeconds <= 0 {
		return domain.DefaultSpinInterval * time.Second
	}
	return time.Duration(s.SpinIntervalSeconds) * time.Second
}

// Phase is spinPhase at now with poolSize members: domain.Phase over the current cycle,
// which counts as drawn when it has a candidate (a cycle whose pool had nobody eligible
// is in Current too, with no character name) and as completed when it has an outcome.
func (s RouletteSnapshot) Phase(now time.Time, poolSize int) string {
	var boundary time.Time
	drawn, done := false, false
	if c := s.Current; c != nil {
		boundary = c.BoundaryAt
		drawn = c.CharacterName != ""
		done = c.Outcome != ""
	}
	return domain.Phase(now, s.Interval(), poolSize, boundary, drawn, done)
}
