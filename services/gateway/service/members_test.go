package service

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

// A viewer's repeated pool/me polls are answered from memory; the pool's member event
// about that viewer makes the next poll ask the pool again.
func TestPoolMe_CachedUntilAMemberEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	require.NoError(t, natsx.EnsureStreams(ctx, h.js, events.StreamPool))
	testenv.Eventually(t, 5*time.Second, h.gw.members.Live, "member feed live")

	var calls atomic.Int32
	enrolled := atomic.Bool{}
	h.serve(events.RPCPoolMe, func(_ context.Context, data []byte) (any, error) {
		calls.Add(1)
		if !enrolled.Load() {
			return events.PoolMeReply{}, nil
		}
		name := "Norinn"
		return events.PoolMeReply{IsEnrolled: true, CharacterName: &name}, nil
	})
	tok := h.viewer("42")
	get := func() events.PoolMeReply {
		r := h.do(http.MethodGet, "/api/pool/me", "", bearer(tok)...)
		require.Equal(t, http.StatusOK, r.status)
		var out events.PoolMeReply
		require.NoError(t, json.Unmarshal(r.body, &out))
		return out
	}
	for i := 0; i < 5; i++ {
		assert.False(t, get().IsEnrolled)
	}
	assert.Equal(t, int32(1), calls.Load(), "repeated polls are served from memory")

	enrolled.Store(true)
	env, err := events.New("", events.PoolMemberEnrolled, "test", time.Now(), events.PoolMember{TwitchUserID: "42", CharacterName: "Norinn"})
	require.NoError(t, err)
	_, err = natsx.PublishEvent(ctx, h.js, env)
	require.NoError(t, err)
	testenv.Eventually(t, 5*time.Second, func() bool { return get().IsEnrolled }, "enrollment never became visible")
	assert.Equal(t, int32(2), calls.Load())
}
