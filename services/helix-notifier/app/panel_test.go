package app

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

func TestPushWindow_SharesKeepTheLastMessagesOfTheMinuteForBroadcasts(t *testing.T) {
	b := PushBudget{PerMinute: 10, BroadcastReserve: 3, WhisperReserve: 3}
	var w pushWindow
	t0 := time.Unix(1_700_000_000, 0)
	take := func(c pushClass, at time.Time) bool { ok, _ := w.take(b, c, at); return ok }

	for i := range 4 {
		assert.True(t, take(classPool, t0), "pool-only whisper %d of its 4", i+1)
	}
	assert.False(t, take(classPool, t0), "the pool whispers' share is used up")
	for i := range 3 {
		assert.True(t, take(classWhisper, t0), "payout or gift whisper %d of the next 3", i+1)
	}
	assert.False(t, take(classWhisper, t0), "the last 3 of the minute are the broadcasts'")
	for i := range 3 {
		assert.True(t, take(classBroadcast, t0), "broadcast %d", i+1)
	}
	ok, wait := w.take(b, classBroadcast, t0.Add(10*time.Second))
	assert.False(t, ok, "10 a minute, whatever the class")
	assert.Equal(t, 50*time.Second, wait, "until the first send leaves the minute")

	assert.True(t, take(classPool, t0.Add(time.Minute)), "a minute later the sends have left the window")
	w.give(t0.Add(time.Minute))
	assert.Len(t, w.times, 0, "a send Twitch did not accept is given back")
}

type nopCounter struct{}

func (nopCounter) Inc() {}

type countingLeader struct{ leads atomic.Int64 }

func (l *countingLeader) Lead(context.Context) (bool, error) { l.leads.Add(1); return true, nil }
func (l *countingLeader) Holds() bool                        { return true }

type refusingPubSub struct{ sends atomic.Int64 }

func (p *refusingPubSub) Send(context.Context, string, string, string) error {
	p.sends.Add(1)
	return errs.E(errs.Unavailable, "twitch is down")
}

type fixedShared struct{}

func (fixedShared) State(context.Context) (domain.PanelState, bool, error) {
	return domain.PanelState{SpinPhase: "idle", CurrentSpinCycleID: "c1"}, true, nil
}

type counterVersions struct{ n atomic.Int64 }

func (v *counterVersions) Next(context.Context) (int64, error) { return v.n.Add(1), nil }

// While a failed broadcast waits for its retry, the lease is still renewed: the whisper
// consumers push only while this replica holds it, and a lapse would hand it to another
// replica for nothing.
func TestRunBroadcasts_KeepsTheLeaseWhileABroadcastWaitsForItsRetry(t *testing.T) {
	leader := &countingLeader{}
	pubsub := &refusingPubSub{}
	p := &Panel{PubSub: pubsub, Leader: leader, Shared: fixedShared{}, Versions: &counterVersions{},
		Plan: domain.BroadcastPlan{Interval: time.Minute, HeartbeatDelay: time.Second}, Tick: 5 * time.Millisecond,
		Log: zap.NewNop(), Now: time.Now}
	n := nopCounter{}
	p.Metrics = PanelMetrics{Broadcasts: n, Whispers: n, RateLimited: n, Failed: n, Unlinked: n, Dropped: n}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.NoError(t, p.RunBroadcasts(ctx))
	assert.EqualValues(t, 1, pubsub.sends.Load(), "one attempt, then the first backoff (a second)")
	assert.Greater(t, leader.leads.Load(), int64(20), "the lease is renewed at every tick meanwhile")
}
