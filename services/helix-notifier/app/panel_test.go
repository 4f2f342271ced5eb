package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
