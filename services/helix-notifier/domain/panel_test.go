package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var plan = BroadcastPlan{Interval: 300 * time.Second, HeartbeatDelay: 5 * time.Second}

// cycleRun plays one spin cycle of 300 s through the plan: state changes at the given
// offsets from the boundary, the plan asked at every change and every wake-up, and
// returns the broadcasts sent during the cycle.
func cycleRun(t *testing.T, b time.Time, last *Sent, changes map[time.Duration]func(*PanelKey)) ([]time.Duration, *Sent) {
	t.Helper()
	cur := PanelKey{CycleID: "prev", PoolSize: 3}
	if last != nil {
		cur = last.Key
	}
	var sent []time.Duration
	now := b
	var wake time.Time
	for now.Before(b.Add(300 * time.Second)) {
		if f, ok := changes[now.Sub(b)]; ok {
			f(&cur)
		}
		send, w := plan.Next(now, cur, last)
		if send {
			last = &Sent{At: now, Key: cur}
			sent = append(sent, now.Sub(b))
			continue
		}
		wake = w
		now = now.Add(time.Second)
		if now.After(wake) {
			now = wake
		}
	}
	return sent, last
}

func TestBroadcastPlan_ABusyCycleStaysWithinFiveMessages(t *testing.T) {
	b := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	last := &Sent{At: b.Add(-10 * time.Second), Key: PanelKey{CycleID: "prev", PoolSize: 3}}
	changes := map[time.Duration]func(*PanelKey){
		0: func(k *PanelKey) { k.CycleID, k.Drawn = "c1", true }, // the draw
		70 * time.Second: func(k *PanelKey) {
			k.Outcome, k.LastSpin = "completed", "c1/winner"
		},
	}
	// Someone enrolls every 10 seconds all cycle long.
	for s := 5; s < 300; s += 10 {
		s := s
		changes[time.Duration(s)*time.Second] = func(k *PanelKey) { k.PoolSize = 3 + s }
	}
	sent, _ := cycleRun(t, b, last, changes)
	t.Logf("broadcasts at %v", sent)
	assert.LessOrEqual(t, len(sent), 5, "%v", sent)
	assert.Equal(t, time.Duration(0), sent[0], "the draw goes out at once")
	assert.Contains(t, sent, 70*time.Second, "the outcome goes out at once")
}

func TestBroadcastPlan_AnIdleBoundaryGetsAHeartbeat(t *testing.T) {
	b := time.Date(2030, 1, 1, 12, 5, 0, 0, time.UTC)
	last := &Sent{At: b.Add(-300 * time.Second), Key: PanelKey{CycleID: "idle"}}
	sent, _ := cycleRun(t, b, last, nil)
	assert.Equal(t, []time.Duration{5 * time.Second}, sent)
}

func TestBroadcastPlan_APoolChangeWaitsForTheLazyGap(t *testing.T) {
	b := time.Date(2030, 1, 1, 12, 10, 0, 0, time.UTC)
	last := &Sent{At: b.Add(time.Second), Key: PanelKey{CycleID: "c", Drawn: true, PoolSize: 1}}
	send, wake := plan.Next(b.Add(20*time.Second), PanelKey{CycleID: "c", Drawn: true, PoolSize: 2}, last)
	assert.False(t, send)
	assert.Equal(t, b.Add(101*time.Second), wake)
	send, _ = plan.Next(b.Add(101*time.Second), PanelKey{CycleID: "c", Drawn: true, PoolSize: 2}, last)
	assert.True(t, send)
	send, _ = plan.Next(b.Add(20*time.Second), PanelKey{CycleID: "c", Drawn: true, PoolSize: 1, Outcome: "completed"}, last)
	assert.True(t, send, "an outcome does not wait")
	send, _ = plan.Next(b, PanelKey{}, nil)
	assert.True(t, send, "the first state goes out at once")
}

func TestEncodeStatePush_StaysWithinTwitchsLimit(t *testing.T) {
	s := PanelState{SpinPhase: "collecting", CurrentSpinCycleID: "c"}
	for i := 0; i < 400; i++ {
		s.GiftOrder = append(s.GiftOrder, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	b, err := EncodeStatePush(7, s)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), MaxPushBytes)
	var got StatePush
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, "state", got.Kind)
	assert.Equal(t, int64(7), got.Version)
	assert.NotEmpty(t, got.State.GiftOrder)
	assert.Equal(t, s.GiftOrder[0], got.State.GiftOrder[0], "the head of the queue is kept")
}

func TestEncodeViewerPush_TooLargeBecomesResync(t *testing.T) {
	b, err := EncodeViewerPush(ViewerPush{Version: 3, Payout: &Part{Version: 3, Value: map[string]string{"x": strings.Repeat("y", MaxPushBytes)}}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"schema":1,"kind":"resync","version":3}`, string(b))
	b, err = EncodeViewerPush(ViewerPush{Version: 4, Pool: &Part{Version: 4, Value: PoolPart{IsEnrolled: false}}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"schema":1,"kind":"viewer","version":4,"pool":{"version":4,"value":{"isEnrolled":false,"characterName":null}}}`, string(b))
}
