package service

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

func TestRouletteState_ComputedFromKVWithTheClock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tok := h.viewer("42")

	// Before the pool or the roulette wrote anything: configured interval, empty pool.
	r := h.do("GET", "/api/roulette/state", "", bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `{"nextSpinAt":"2030-01-01T12:10:00Z","serverNow":"2030-01-01T12:05:03Z","spinIntervalSeconds":300,
		"poolParticipantCount":0,"spinPhase":"idle","currentSpinCycleId":"`+domain.SpinCycleID(time.Date(2030, 1, 1, 12, 10, 0, 0, time.UTC))+`","lastSpin":null}`, string(r.body))

	kv, err := natsx.StateBucket(context.Background(), h.js)
	require.NoError(t, err)
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		_, err = kv.Put(context.Background(), key, b)
		require.NoError(t, err)
	}
	boundary := time.Date(2030, 1, 1, 12, 5, 0, 0, time.UTC)
	drawnAt := boundary.Add(20 * time.Millisecond)
	prev := boundary.Add(-300 * time.Second)
	put(events.KeyPoolStats, events.PoolStats{Version: 9, PoolSize: 4, EligibleCount: 3})
	put(events.KeyRouletteState, events.RouletteSnapshot{
		Version:             12,
		SpinIntervalSeconds: 300,
		Current: &events.Cycle{SpinCycleID: "0b9d3f7e-5c1a-4e2b-8f00-112233445566", BoundaryAt: boundary, DrawnAt: &drawnAt,
			VerifyDeadline: boundary.Add(330 * time.Second), TwitchUserID: "42", CharacterName: "Norinn"},
		LastSpin: &events.Cycle{SpinCycleID: "11111111-2222-4333-8444-555555555555", BoundaryAt: prev,
			CharacterName: "Elunara", Outcome: events.OutcomeWinner, PayoutID: "p1"},
	})

	want := `{"nextSpinAt":"2030-01-01T12:10:00Z","serverNow":"2030-01-01T12:05:03Z","spinIntervalSeconds":300,
		"poolParticipantCount":4,"spinPhase":"spinning","currentSpinCycleId":"0b9d3f7e-5c1a-4e2b-8f00-112233445566",
		"lastSpin":{"spinCycleId":"11111111-2222-4333-8444-555555555555","outcome":"winner","characterName":"Elunara"}}`
	testenv.Eventually(t, 5*time.Second, func() bool {
		var m map[string]any
		_ = json.Unmarshal(h.do("GET", "/api/roulette/state", "", bearer(tok)...).body, &m)
		return m["poolParticipantCount"] == float64(4) && m["spinPhase"] == "spinning"
	}, "state follows the bucket")
	assert.JSONEq(t, want, string(h.do("GET", "/api/roulette/state", "", bearer(tok)...).body))

	// The same documents, later: the clock alone moves the phase and the countdown.
	h.clock.Set(boundary.Add(45 * time.Second))
	r = h.do("GET", "/api/roulette/state", "", bearer(tok)...)
	m := r.json(t)
	assert.Equal(t, "verification", m["spinPhase"])
	assert.Equal(t, "2030-01-01T12:05:45Z", m["serverNow"])
	h.clock.Set(boundary.Add(301 * time.Second))
	m = h.do("GET", "/api/roulette/state", "", bearer(h.viewer("42"))...).json(t)
	assert.Equal(t, "collecting", m["spinPhase"], "next boundary passed, its draw not seen yet")
	assert.Equal(t, "2030-01-01T12:15:00Z", m["nextSpinAt"])
	assert.Equal(t, domain.SpinCycleID(time.Date(2030, 1, 1, 12, 15, 0, 0, time.UTC)), m["currentSpinCycleId"], "the cycle the countdown points at")
}

func TestRouletteState_NoNATSRequestPerCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tok := h.viewer("42")
	// Warm up (JWT cache, connection, the viewer directory's one write for this
	// viewer), then count messages the gateway sends.
	require.Equal(t, http.StatusOK, h.do("GET", "/api/roulette/state", "", bearer(tok)...).status)
	kv, err := natsx.ViewersBucket(context.Background(), h.js)
	require.NoError(t, err)
	testenv.Eventually(t, 5*time.Second, func() bool { _, ok := viewerEntry(t, kv, "o.U42"); return ok }, "viewer directory written")
	before := h.nc.Stats().OutMsgs
	for range 20 {
		require.Equal(t, http.StatusOK, h.do("GET", "/api/roulette/state", "", bearer(tok)...).status)
	}
	assert.Equal(t, before, h.nc.Stats().OutMsgs, "served from memory")
}
