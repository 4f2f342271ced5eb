package service_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/roulette/app"
)

func TestTick_DrawsAtTheBoundaryNotBefore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	ctx := context.Background()

	next := e.tick(a, b0.Add(-time.Millisecond))
	assert.Equal(t, b0, next, "the loop wakes at the boundary")
	assert.Zero(t, e.pool.calls.Load(), "no draw before the boundary")
	_, err := candidateOf(a, ctx)
	assert.True(t, errs.Has(err, errs.NotFound))

	e.tick(a, b0)
	assert.EqualValues(t, 1, e.pool.calls.Load())
	c, err := candidateOf(a, ctx)
	require.NoError(t, err)
	assert.Equal(t, domain.SpinCycleID(b0), c.SpinCycleID, "the id is the boundary's UUIDv5")
	assert.Equal(t, "Норинн", c.CharacterName)
	assert.Equal(t, b0, c.DrawnAt)
	assert.Equal(t, b0.Add(interval+30*time.Second), c.VerifyDeadline)

	e.tick(a, b0.Add(5*time.Second))
	e.tick(a, b0.Add(2*time.Minute))
	assert.EqualValues(t, 1, e.pool.calls.Load(), "one draw per boundary")
	assert.Equal(t, 1, e.cycleRows())

	drawn := e.envelopes(events.RouletteCycleDrawn)
	require.Len(t, drawn, 1)
	assert.Equal(t, app.EventID(c.SpinCycleID, app.EventDrawn), drawn[0].ID, "deterministic envelope id")
}

func TestTick_ThreeReplicasDrawOncePerBoundary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.pool.delay = 50 * time.Millisecond // keep the winner's lock held while the others arrive
	replicas := []*app.Service{e.replica(), e.replica(), e.replica()}

	for i, b := range []time.Time{b0, b0.Add(interval), b0.Add(2 * interval)} {
		e.clock.Set(b)
		var wg sync.WaitGroup
		for j, r := range replicas {
			wg.Go(func() {
				// Replica clocks differ by a few milliseconds.
				_, err := r.Tick(context.Background(), b.Add(time.Duration(j)*time.Millisecond))
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		// A second round after the draw changes nothing.
		for _, r := range replicas {
			_, err := r.Tick(context.Background(), b.Add(time.Second))
			require.NoError(t, err)
		}
		assert.EqualValues(t, i+1, e.pool.calls.Load(), "boundary %d: one pool request", i)
		assert.Empty(t, e.pool.askedTwice())
		assert.Equal(t, i+1, e.cycleRows(), "boundary %d: one cycle row", i)
		assert.Equal(t, i+1, e.eventCount(events.RouletteCycleDrawn), "boundary %d: one drawn event", i)
	}
}

func TestVerify_GraceAcrossRollover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	b1, b2 := b0.Add(interval), b0.Add(2*interval)
	e.tick(a, b0)
	e.pool.set(always("Thrall"))
	e.tick(a, b1)

	// Cycle b1 drew and is the Desktop's current candidate, yet cycle b0's report is
	// still judged against b0's own deadline (b1 + 30 s).
	c, err := candidateOf(a, context.Background())
	require.NoError(t, err)
	assert.Equal(t, domain.SpinCycleID(b1), c.SpinCycleID)
	reply, err := e.verify(a, b1.Add(29*time.Second), domain.SpinCycleID(b0), "норинн", true)
	require.NoError(t, err)
	assert.Equal(t, events.OutcomeWinner, reply.Outcome)
	require.NotNil(t, reply.Payout)
	assert.Equal(t, "Норинн", reply.Payout.CharacterName, "the payout names the candidate as drawn")

	// Cycle b1's report at b2 + 31 s, after b2 drew, is too late.
	e.tick(a, b2)
	_, err = e.verify(a, b2.Add(31*time.Second), domain.SpinCycleID(b1), "Thrall", true)
	assert.True(t, errs.Has(err, errs.OutOfSequence), "got %v", err)
	assert.EqualValues(t, 1, e.payout.creates.Load())
}

func TestRestart_MidCycleResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.replica()
	e.tick(first, b0)
	before, err := candidateOf(first, context.Background())
	require.NoError(t, err)

	// A new instance on the same database, as after a restart.
	second := e.replica()
	e.tick(second, b0.Add(90*time.Second))
	assert.EqualValues(t, 1, e.pool.calls.Load(), "the drawn cycle is not drawn again")
	after, err := candidateOf(second, context.Background())
	require.NoError(t, err)
	assert.Equal(t, before, after, "same candidate and deadline")

	reply, err := e.verify(second, b0.Add(2*time.Minute), before.SpinCycleID, "Норинн", false)
	require.NoError(t, err)
	assert.Equal(t, events.OutcomeOffline, reply.Outcome)
	s := e.snapshot()
	require.NotNil(t, s.LastSpin)
	assert.Equal(t, events.OutcomeOffline, s.LastSpin.Outcome)
}

func TestTick_EmptyPoolDrawsNoCandidate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.pool.set(func(string) *events.DrawnMember { return nil })
	a := e.replica()
	e.tick(a, b0)
	e.tick(a, b0.Add(10*time.Second))
	assert.EqualValues(t, 1, e.pool.calls.Load(), "no re-draw")

	_, err := candidateOf(a, context.Background())
	assert.True(t, errs.Has(err, errs.NotFound))
	_, err = e.verify(a, b0.Add(time.Minute), domain.SpinCycleID(b0), "Норинн", true)
	assert.True(t, errs.Has(err, errs.OutOfSequence))

	s := e.snapshot()
	require.NotNil(t, s.Current)
	assert.Equal(t, b0, s.Current.BoundaryAt)
	assert.Empty(t, s.Current.CharacterName)
	assert.Nil(t, s.LastSpin)
	assert.Equal(t, domain.PhaseIdle, phaseOf(s, b0.Add(time.Minute), 0))
}

func TestVerify_OfflineNoPayoutNoRedraw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	id := domain.SpinCycleID(b0)
	e.tick(a, b0)
	reply, err := e.verify(a, b0.Add(time.Minute), id, "НОРИНН", false)
	require.NoError(t, err)
	assert.Equal(t, events.VerifyReply{SpinCycleID: id, Outcome: events.OutcomeOffline}, reply)

	e.tick(a, b0.Add(70*time.Second))
	assert.EqualValues(t, 1, e.pool.calls.Load(), "no re-draw after offline")
	_, err = candidateOf(a, context.Background())
	assert.True(t, errs.Has(err, errs.NotFound), "nothing awaits a report")

	again, err := e.verify(a, b0.Add(2*time.Minute), id, "Норинн", false)
	require.NoError(t, err)
	assert.Equal(t, reply, again, "a repeated offline report answers the same")
	_, err = e.verify(a, b0.Add(2*time.Minute), id, "Норинн", true)
	assert.True(t, errs.Has(err, errs.OutOfSequence), "online after offline: %v", err)
	assert.Zero(t, e.payout.creates.Load())

	s := e.snapshot()
	assert.Equal(t, domain.PhaseCompleted, phaseOf(s, b0.Add(2*time.Minute), 1))
}

func TestTick_NoReportAtDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	id := domain.SpinCycleID(b0)
	deadline := b0.Add(interval + 30*time.Second)
	e.tick(a, b0)
	next := e.tick(a, b0.Add(interval))
	assert.Equal(t, deadline.Add(time.Microsecond), next, "the loop wakes just after the deadline")

	e.tick(a, deadline)
	assert.Zero(t, e.eventCount(events.RouletteCycleCompleted), "the deadline itself is still in time")
	e.tick(a, deadline.Add(time.Microsecond))
	completed := e.envelopes(events.RouletteCycleCompleted)
	require.Len(t, completed, 1)
	var c events.Cycle
	require.NoError(t, json.Unmarshal(completed[0].Data, &c))
	assert.Equal(t, events.OutcomeNoReport, c.Outcome)
	assert.Equal(t, id, c.SpinCycleID)
	assert.Equal(t, app.EventID(id, app.EventCompleted), completed[0].ID)

	_, err := e.verify(a, deadline.Add(time.Second), id, "Норинн", true)
	assert.True(t, errs.Has(err, errs.OutOfSequence), "late report: %v", err)
	assert.Zero(t, e.payout.creates.Load())
	assert.Equal(t, events.OutcomeNoReport, e.snapshot().LastSpin.Outcome)
}

func TestVerify_LateReportBeforeSweepIsOutOfSequence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	e.tick(a, b0)
	// No tick has swept yet: the deadline alone decides.
	_, err := e.verify(a, b0.Add(interval+31*time.Second), domain.SpinCycleID(b0), "Норинн", true)
	assert.True(t, errs.Has(err, errs.OutOfSequence))
	assert.Zero(t, e.payout.creates.Load())
}

func TestVerify_RefusesBadReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	id := domain.SpinCycleID(b0)
	e.tick(a, b0)
	at := b0.Add(time.Minute)
	e.clock.Set(at)
	ctx := context.Background()

	for _, online := range []bool{true, false} {
		_, err := e.verify(a, at, id, "Норин", online)
		assert.True(t, errs.Has(err, errs.Invalid), "name mismatch online=%v: %v", online, err)
	}
	_, err := verifyOf(a, ctx, events.WhoReport{SchemaVersion: 2, SpinCycleID: id, CharacterName: "Норинн", Online: true})
	assert.True(t, errs.Has(err, errs.Invalid), "schema 2: %v", err)
	_, err = e.verify(a, at, domain.SpinCycleID(b0.Add(interval)), "Норинн", true)
	assert.True(t, errs.Has(err, errs.OutOfSequence), "a cycle that does not exist: %v", err)
	_, err = e.verify(a, at, "not-a-uuid", "Норинн", true)
	assert.True(t, errs.Has(err, errs.Invalid))
	assert.Zero(t, e.payout.creates.Load())

	c, err := candidateOf(a, ctx)
	require.NoError(t, err, "refused reports leave the cycle awaiting")
	assert.Equal(t, id, c.SpinCycleID)
}

func TestVerify_RepeatedOnlineReportIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, other := e.replica(), e.replica()
	id := domain.SpinCycleID(b0)
	e.tick(a, b0)
	first, err := e.verify(a, b0.Add(time.Minute), id, "Норинн", true)
	require.NoError(t, err)
	require.NotNil(t, first.Payout)

	// The Desktop retries (the reply was lost), even after the deadline, on any replica.
	again, err := e.verify(other, b0.Add(time.Hour), id, "норинн", true)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.EqualValues(t, 1, e.payout.creates.Load(), "one payout created")

	_, err = e.verify(a, b0.Add(time.Minute), id, "Норинн", false)
	assert.True(t, errs.Has(err, errs.OutOfSequence), "offline after winner: %v", err)
	assert.Equal(t, 1, e.eventCount(events.RouletteCycleCompleted))
	assert.Equal(t, first.Payout.ID, e.snapshot().LastSpin.PayoutID)
}

func TestVerify_ConcurrentOnlineReportsCreateOnePayout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	replicas := []*app.Service{e.replica(), e.replica(), e.replica()}
	id := domain.SpinCycleID(b0)
	e.tick(replicas[0], b0)
	e.clock.Set(b0.Add(time.Minute))
	replies := make([]events.VerifyReply, len(replicas))
	var wg sync.WaitGroup
	for i, r := range replicas {
		wg.Go(func() {
			var err error
			replies[i], err = verifyOf(r, context.Background(), events.WhoReport{SchemaVersion: 1, SpinCycleID: id, CharacterName: "Норинн", Online: true})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, e.payout.creates.Load())
	for _, r := range replies {
		assert.Equal(t, replies[0], r)
	}
}

func TestVerify_PayoutRefusedRecordsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	id := domain.SpinCycleID(b0)
	e.tick(a, b0)
	e.payout.setRefuse(errs.E(errs.ActivePayoutExists, "the viewer already has an active payout"))
	_, err := e.verify(a, b0.Add(time.Minute), id, "Норинн", true)
	assert.True(t, errs.Has(err, errs.ActivePayoutExists), "got %v", err)
	c, err := candidateOf(a, context.Background())
	require.NoError(t, err, "the cycle still awaits its report")
	assert.Equal(t, id, c.SpinCycleID)

	// Left alone, it ends no_report at its deadline; no re-draw.
	e.tick(a, b0.Add(interval+31*time.Second))
	assert.Equal(t, events.OutcomeNoReport, e.snapshot().LastSpin.Outcome)
}

func TestTick_PoolUnavailableRetriesWithinWindowThenGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	a.DrawTimeout = 100 * time.Millisecond
	e.pool.stop(t)

	next := e.tick(a, b0)
	assert.Equal(t, b0.Add(a.RetryEvery), next, "retry soon")
	_, err := candidateOf(a, context.Background())
	assert.True(t, errs.Has(err, errs.NotFound))

	e.pool.start(t, e.nc)
	e.tick(a, b0.Add(3*time.Second))
	assert.EqualValues(t, 1, e.pool.calls.Load())
	c, err := candidateOf(a, context.Background())
	require.NoError(t, err)
	assert.Equal(t, b0.Add(3*time.Second), c.DrawnAt, "drawn late within the window")

	// The next boundary: the pool is down through the whole draw window.
	b1 := b0.Add(interval)
	e.pool.stop(t)
	e.tick(a, b1)
	e.tick(a, b1.Add(29*time.Second))
	e.pool.start(t, e.nc)
	e.tick(a, b1.Add(31*time.Second))
	e.tick(a, b1.Add(2*time.Minute))
	assert.EqualValues(t, 1, e.pool.calls.Load(), "a missed boundary is not drawn late")
	s := e.snapshot()
	assert.Equal(t, b0, s.Current.BoundaryAt, "the missed cycle never drew")
}

func TestTick_LateStartSkipsTheBoundary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.replica()
	// The service was down at b0 and comes back 31 s later.
	next := e.tick(a, b0.Add(31*time.Second))
	assert.Zero(t, e.pool.calls.Load())
	assert.Equal(t, b0.Add(interval), next)
	e.tick(a, b0.Add(interval))
	assert.EqualValues(t, 1, e.pool.calls.Load())
}

func TestSnapshot_VersionsMonotonicAndStaleWritesIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, other := e.replica(), e.replica()
	ctx := context.Background()
	kv, err := e.js.KeyValue(ctx, events.StateBucket)
	require.NoError(t, err)
	w, err := kv.Watch(ctx, events.KeyRouletteState)
	require.NoError(t, err)
	defer func() { _ = w.Stop() }()

	id0 := domain.SpinCycleID(b0)
	e.tick(a, b0)
	_, err = e.verify(other, b0.Add(time.Minute), id0, "Норинн", true)
	require.NoError(t, err)
	e.tick(other, b0.Add(interval))
	e.tick(a, b0.Add(2*interval))                // draws b2
	e.tick(a, b0.Add(2*interval+31*time.Second)) // expires b1 (no report)

	final, err := stateOf(a, ctx)
	require.NoError(t, err)
	var versions []int64
	timeout := time.After(5 * time.Second)
	for len(versions) == 0 || versions[len(versions)-1] < final.Version {
		select {
		case entry := <-w.Updates():
			if entry == nil {
				continue // end of the initial values
			}
			var s events.RouletteSnapshot
			require.NoError(t, json.Unmarshal(entry.Value(), &s))
			versions = append(versions, s.Version)
		case <-timeout:
			t.Fatalf("snapshot never reached version %d; saw %v", final.Version, versions)
		}
	}
	for i := 1; i < len(versions); i++ {
		assert.Greater(t, versions[i], versions[i-1], "versions %v", versions)
	}
	assert.Equal(t, final, e.snapshot())
	assert.Equal(t, b0.Add(2*interval), final.Current.BoundaryAt)
	assert.Equal(t, domain.SpinCycleID(b0.Add(interval)), final.LastSpin.SpinCycleID)
	assert.Equal(t, events.OutcomeNoReport, final.LastSpin.Outcome)
	assert.Equal(t, 300, final.SpinIntervalSeconds)

	// A stale replica's older snapshot never overwrites the newer one.
	stale := final
	stale.Version--
	stale.Current = nil
	require.NoError(t, natsx.PutState(ctx, kv, events.KeyRouletteState, stale, func(s events.RouletteSnapshot) int64 { return s.Version }))
	assert.Equal(t, final, e.snapshot())
}

// phaseOf is spinPhase as the gateway derives it from the snapshot.
func phaseOf(s events.RouletteSnapshot, now time.Time, poolSize int) string {
	c := s.Current
	return domain.Phase(now, time.Duration(s.SpinIntervalSeconds)*time.Second, poolSize, c.BoundaryAt, c.CharacterName != "", c.Outcome != "")
}

// The payout is created with the facts its rules need: when the cycle drew the winner
// and when the winner's pool membership began (docs/product.md §2: a winner who held a
// payout since the draw, or was paid since the enrollment, is refused).
func TestVerify_CreateCarriesTheDrawAndEnrollmentInstants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	enrolled := b0.Add(-time.Hour).Add(123 * time.Microsecond)
	e.pool.set(func(string) *events.DrawnMember {
		return &events.DrawnMember{TwitchUserID: "uid-1", TwitchDisplayName: "tv_1", CharacterName: "Norinn", EnrolledAt: &enrolled}
	})
	a := e.replica()
	e.tick(a, b0.Add(time.Second))
	c, err := candidateOf(a, context.Background())
	require.NoError(t, err)
	_, err = e.verify(a, b0.Add(10*time.Second), c.SpinCycleID, "Norinn", true)
	require.NoError(t, err)
	e.payout.mu.Lock()
	req := e.payout.last
	e.payout.mu.Unlock()
	require.NotNil(t, req.DrawnAt)
	assert.Equal(t, b0.Add(time.Second), req.DrawnAt.UTC(), "the instant the cycle drew")
	require.NotNil(t, req.EnrolledAt, "the enrollment instant survives the cycle row")
	assert.Equal(t, enrolled, req.EnrolledAt.UTC())
}
