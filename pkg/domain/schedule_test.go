package domain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNextBoundary_AlignsToUTCFiveMinutes(t *testing.T) {
	t.Parallel()
	iv := 300 * time.Second
	assert.Equal(t, at("2026-04-04T12:05:00Z"), NextBoundary(at("2026-04-04T12:01:23.456Z"), iv))
	assert.Equal(t, at("2026-04-04T12:10:00Z"), NextBoundary(at("2026-04-04T12:05:00Z"), iv), "a boundary's next is the following one")
	assert.Equal(t, at("2026-04-04T12:05:00Z"), BoundaryAtOrBefore(at("2026-04-04T12:05:00Z"), iv))
	// A non-UTC clock reading still lands on UTC boundaries.
	msk := time.FixedZone("MSK", 3*3600)
	assert.Equal(t, at("2026-04-04T12:05:00Z"), NextBoundary(at("2026-04-04T12:04:59Z").In(msk), iv))
	assert.Equal(t, at("2026-04-04T12:10:30Z"), VerifyDeadline(at("2026-04-04T12:05:00Z"), iv))
}

func TestPhase(t *testing.T) {
	t.Parallel()
	iv := 300 * time.Second
	b := at("2026-04-04T12:05:00Z")
	assert.Equal(t, PhaseIdle, Phase(b.Add(time.Minute), iv, 0, time.Time{}, false, false))
	assert.Equal(t, PhaseCollecting, Phase(b.Add(time.Minute), iv, 3, time.Time{}, false, false))
	assert.Equal(t, PhaseSpinning, Phase(b.Add(2*time.Second), iv, 3, b, true, false))
	assert.Equal(t, PhaseVerification, Phase(b.Add(time.Minute), iv, 3, b, true, false))
	assert.Equal(t, PhaseCompleted, Phase(b.Add(time.Minute), iv, 3, b, true, true))
	// After the next boundary passes without a draw of its own, the old cycle no longer counts.
	assert.Equal(t, PhaseCollecting, Phase(b.Add(iv+time.Second), iv, 3, b, true, true))
}
