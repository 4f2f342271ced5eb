package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/roulette/adapters"
	"github.com/mimiron/mgm/services/roulette/service"
)

// TestRun_TwoReplicasDrawEachBoundaryOnceOnTheRealClock starts the real Run twice with a
// 1 s interval and talks to it over NATS like the gateway does.
func TestRun_TwoReplicasDrawEachBoundaryOnceOnTheRealClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for range 2 {
		d := e.deps(time.Second, nil)
		go func() { done <- service.Run(ctx, d) }()
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for range 2 {
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after cancel")
			}
		}
	}
	t.Cleanup(stop)

	call := func(subject string, req, resp any) error {
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer rcancel()
		return natsx.Call(rctx, e.nc, subject, req, resp)
	}
	var cand events.Candidate
	testenv.Eventually(t, 5*time.Second, func() bool {
		return call(events.RPCRouletteCandidate, struct{}{}, &cand) == nil
	}, "a candidate is drawn")
	assert.Equal(t, "Норинн", cand.CharacterName)
	late := cand.DrawnAt.Sub(cand.DrawnAt.Truncate(time.Second))
	assert.Less(t, late, 500*time.Millisecond, "drawn at the boundary, within the draw window")

	err := call(events.RPCRouletteVerify, events.WhoReport{SchemaVersion: 2, SpinCycleID: cand.SpinCycleID, CharacterName: "Норинн", Online: true}, nil)
	assert.True(t, errs.Has(err, errs.Invalid), "schema 2 over NATS: %v", err)
	var reply events.VerifyReply
	require.NoError(t, call(events.RPCRouletteVerify, events.WhoReport{SchemaVersion: 1, SpinCycleID: cand.SpinCycleID, CharacterName: "норинн", Online: true}, &reply))
	assert.Equal(t, events.OutcomeWinner, reply.Outcome)
	require.NotNil(t, reply.Payout)

	// Let a few more boundaries pass. Count committed cycles, not pool calls: a stop
	// right after a pool call would leave that cycle uncommitted.
	testenv.Eventually(t, 5*time.Second, func() bool { rows, _ := cycleBoundaries(t, e.dbURL); return rows >= 3 }, "two more draws")
	var snap events.RouletteSnapshot
	require.NoError(t, call(events.RPCRouletteState, struct{}{}, &snap))
	assert.Equal(t, 1, snap.SpinIntervalSeconds)
	require.NotNil(t, snap.LastSpin)
	assert.Equal(t, reply.Payout.ID, snap.LastSpin.PayoutID)
	stop()

	rows, boundaries := cycleBoundaries(t, e.dbURL)
	assert.Empty(t, e.pool.askedTwice(), "one pool request per cycle, however many replicas")
	assert.GreaterOrEqual(t, rows, 3)
	assert.Equal(t, rows, boundaries, "one cycle per boundary")

	// Run may have been stopped between a commit and its publish; the next replica to
	// tick publishes what is left. Tick at an instant whose draw window has closed, so
	// it draws nothing.
	a, closeFn, err := buildApp(e.deps(time.Second, nil))
	require.NoError(t, err)
	defer closeFn()
	_, err = a.Tick(context.Background(), time.Now().Truncate(time.Second).Add(750*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, rows, e.eventCount(events.RouletteCycleDrawn), "every drawn cycle published once")
}

func cycleBoundaries(t *testing.T, url string) (rows, distinct int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT boundary_at) FROM `+adapters.Schema.Name+`.cycles
		WHERE drawn_at IS NOT NULL`).Scan(&rows, &distinct))
	return rows, distinct
}
