package domain

import "time"

// SpinningFor is how long after a draw the state route reports spinPhase "spinning",
// for the panel's animation.
const SpinningFor = 10 * time.Second

// Spin phases (docs/product.md §4).
const (
	PhaseIdle         = "idle"
	PhaseCollecting   = "collecting"
	PhaseSpinning     = "spinning"
	PhaseVerification = "verification"
	PhaseCompleted    = "completed"
)

// BoundaryAtOrBefore is the latest spin boundary ≤ t: boundaries are the multiples of
// interval since the Unix epoch, so for 300 s they fall on :00, :05, … UTC.
func BoundaryAtOrBefore(t time.Time, interval time.Duration) time.Time {
	return t.UTC().Truncate(interval)
}

// NextBoundary is the first spin boundary strictly after t: the countdown's target.
func NextBoundary(t time.Time, interval time.Duration) time.Time {
	return BoundaryAtOrBefore(t, interval).Add(interval)
}

// VerifyDeadline is how long a cycle drawn at boundary accepts its /who report: until
// the next boundary plus the 30 s grace.
func VerifyDeadline(boundary time.Time, interval time.Duration) time.Time {
	return boundary.Add(interval + VerifyGraceSeconds*time.Second)
}

// Phase derives spinPhase. current is the cycle of the latest boundary that drew (its
// boundary, whether it drew a candidate, and whether it has an outcome); poolSize is
// the number of pool members now.
func Phase(now time.Time, interval time.Duration, poolSize int, currentBoundary time.Time, drawn, hasOutcome bool) string {
	last := BoundaryAtOrBefore(now, interval)
	if currentBoundary.IsZero() || !currentBoundary.Equal(last) || !drawn {
		if poolSize == 0 {
			return PhaseIdle
		}
		return PhaseCollecting
	}
	switch {
	case hasOutcome:
		return PhaseCompleted
	case now.Sub(currentBoundary) < SpinningFor:
		return PhaseSpinning
	default:
		return PhaseVerification
	}
}
