package sharedstate

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
)

const interval = 300 * time.Second

var (
	boundary = time.Date(2030, 1, 1, 12, 5, 0, 0, time.UTC)
	next     = boundary.Add(interval)
)

func ptr[T any](v T) *T { return &v }

func cycle(id string, at time.Time, name, outcome string) *events.Cycle {
	c := &events.Cycle{SpinCycleID: id, BoundaryAt: at, VerifyDeadline: domain.VerifyDeadline(at, interval), CharacterName: name, Outcome: outcome}
	if name != "" {
		c.DrawnAt = ptr(at.Add(50 * time.Millisecond))
	}
	return c
}

func TestCompute_BeforeAnySnapshotUsesConfigAndEmptyPool(t *testing.T) {
	t.Parallel()
	st := Compute(boundary.Add(3*time.Second), interval, nil, nil)
	assert.Equal(t, next, st.NextSpinAt)
	assert.Equal(t, boundary.Add(3*time.Second), st.ServerNow)
	assert.Equal(t, 300, st.SpinIntervalSeconds)
	assert.Equal(t, 0, st.PoolParticipantCount)
	assert.Equal(t, domain.PhaseIdle, st.SpinPhase)
	assert.Equal(t, domain.SpinCycleID(next), st.CurrentSpinCycleID, "named before it draws")
	assert.Nil(t, st.LastSpin)
}

func TestCompute_Phases(t *testing.T) {
	t.Parallel()
	pool := &events.PoolStats{Version: 1, PoolSize: 3, EligibleCount: 3}
	prev := cycle("c0", boundary.Add(-interval), "Old", events.OutcomeOffline)
	emptyCycle := cycle("c1", boundary, "", "")
	emptyCycle.DrawnAt = ptr(boundary) // the pool answered: nobody eligible
	nextID := domain.SpinCycleID(next)
	cases := []struct {
		name        string
		now         time.Time
		pool        *events.PoolStats
		current     *events.Cycle
		phase       string
		wantCurrent string
	}{
		{"members waiting for the first draw", boundary.Add(3 * time.Second), pool, nil, domain.PhaseCollecting, domain.SpinCycleID(next)},
		{"just drawn", boundary.Add(3 * time.Second), pool, cycle("c1", boundary, "Norinn", ""), domain.PhaseSpinning, "c1"},
		{"report awaited", boundary.Add(30 * time.Second), pool, cycle("c1", boundary, "Norinn", ""), domain.PhaseVerification, "c1"},
		{"outcome known", boundary.Add(40 * time.Second), pool, cycle("c1", boundary, "Norinn", events.OutcomeWinner), domain.PhaseCompleted, "c1"},
		{"last cycle is from an earlier boundary", boundary.Add(3 * time.Second), pool, prev, domain.PhaseCollecting, domain.SpinCycleID(next)},
		{"nobody eligible at this boundary", boundary.Add(3 * time.Second), pool, emptyCycle, domain.PhaseCollecting, nextID},
		{"nobody to draw at this boundary", boundary.Add(3 * time.Second), &events.PoolStats{Version: 2}, emptyCycle, domain.PhaseIdle, nextID},
		{"pool emptied, old cycle", boundary.Add(3 * time.Second), &events.PoolStats{Version: 2}, prev, domain.PhaseIdle, domain.SpinCycleID(next)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := Compute(c.now, interval, c.pool, &events.RouletteSnapshot{Version: 1, SpinIntervalSeconds: 300, Current: c.current})
			assert.Equal(t, c.phase, st.SpinPhase)
			assert.Equal(t, c.wantCurrent, st.CurrentSpinCycleID)
			assert.Equal(t, next, st.NextSpinAt, "the countdown points at the next boundary, never at the one just drawn")
		})
	}
}

func TestCompute_LastSpinNamesOnlyWinners(t *testing.T) {
	t.Parallel()
	now := boundary.Add(time.Minute)
	st := Compute(now, interval, nil, &events.RouletteSnapshot{LastSpin: cycle("c1", boundary, "Norinn", events.OutcomeWinner)})
	require.NotNil(t, st.LastSpin)
	assert.Equal(t, LastSpin{SpinCycleID: "c1", Outcome: "winner", CharacterName: ptr("Norinn")}, *st.LastSpin)

	st = Compute(now, interval, nil, &events.RouletteSnapshot{LastSpin: cycle("c1", boundary, "Norinn", events.OutcomeOffline)})
	require.NotNil(t, st.LastSpin)
	assert.Equal(t, LastSpin{SpinCycleID: "c1", Outcome: "offline"}, *st.LastSpin)

	st = Compute(now, interval, nil, &events.RouletteSnapshot{LastSpin: cycle("c1", boundary, "Norinn", "")})
	assert.Nil(t, st.LastSpin, "a cycle without an outcome is no result")
}

func TestCompute_SnapshotIntervalWins(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 5, 3, 0, time.UTC)
	st := Compute(now, interval, nil, &events.RouletteSnapshot{SpinIntervalSeconds: 60})
	assert.Equal(t, 60, st.SpinIntervalSeconds)
	assert.Equal(t, time.Date(2030, 1, 1, 12, 6, 0, 0, time.UTC), st.NextSpinAt)
}

func TestCompute_JSONShape(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Compute(boundary.Add(3*time.Second), interval, nil, nil))
	require.NoError(t, err)
	assert.JSONEq(t, `{"nextSpinAt":"2030-01-01T12:10:00Z","serverNow":"2030-01-01T12:05:03Z","spinIntervalSeconds":300,
		"poolParticipantCount":0,"spinPhase":"idle","currentSpinCycleId":"`+domain.SpinCycleID(next)+`","lastSpin":null}`, string(b))
}

func TestApply_IgnoresStaleVersionsAndResetsOnDelete(t *testing.T) {
	t.Parallel()
	now := boundary.Add(3 * time.Second)
	v := NewView(interval, func() time.Time { return now })
	put := func(key string, doc any) {
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		require.NoError(t, v.Apply(key, false, b))
	}
	put(events.KeyPoolStats, events.PoolStats{Version: 5, PoolSize: 7})
	assert.Equal(t, 7, v.Now().PoolParticipantCount)
	put(events.KeyPoolStats, events.PoolStats{Version: 4, PoolSize: 1})
	assert.Equal(t, 7, v.Now().PoolParticipantCount, "an older version never overwrites a newer one")
	put(events.KeyPoolStats, events.PoolStats{Version: 6, PoolSize: 2})
	assert.Equal(t, 2, v.Now().PoolParticipantCount)

	put(events.KeyRouletteState, events.RouletteSnapshot{Version: 3, SpinIntervalSeconds: 300, Current: cycle("c1", boundary, "Norinn", "")})
	assert.Equal(t, "c1", v.Now().CurrentSpinCycleID)

	require.NoError(t, v.Apply(events.KeyPoolStats, true, nil))
	assert.Equal(t, 0, v.Now().PoolParticipantCount)
	assert.Error(t, v.Apply(events.KeyRouletteState, false, []byte("{")))
	assert.Equal(t, "c1", v.Now().CurrentSpinCycleID, "a malformed document changes nothing")
	assert.NoError(t, v.Apply("some.other.key", false, []byte("x")))
}

func TestUpcomingCycleID_IsTheDomainID(t *testing.T) {
	t.Parallel()
	for _, b := range []time.Time{boundary, next, boundary, next.Add(interval)} {
		assert.Equal(t, domain.SpinCycleID(b), upcomingCycleID(b))
	}
}
