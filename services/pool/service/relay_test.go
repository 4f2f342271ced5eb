package service_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"

	"github.com/mimiron/mgm/services/pool/adapters"
)

func TestRelay_PublishesEventsLeftInTheOutbox(t *testing.T) {
	t.Parallel()
	h := start(t)
	// An event committed by a replica that died before relaying it.
	env, err := events.New("pool:chat:lost:enrolled", events.PoolMemberEnrolled, adapters.Source, time.Now(),
		events.PoolMember{TwitchUserID: "u1", CharacterName: "Alice", PoolSize: 1})
	require.NoError(t, err)
	b, err := json.Marshal(env)
	require.NoError(t, err)
	_, err = h.pg.Exec(context.Background(), `INSERT INTO outbox (envelope_id, subject, envelope) VALUES ($1, $2, $3)`, env.ID, env.Type, b)
	require.NoError(t, err)

	testenv.Eventually(t, 5*time.Second, func() bool { return len(h.poolEvents()) == 1 }, "left-over event relayed by the timer pass")
	assert.Equal(t, env.ID, h.poolEvents()[0].ID)
	h.eventsSettled()
}

func TestStatsKV_OlderVersionNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	kv, err := h.js.KeyValue(ctx, events.StateBucket)
	require.NoError(t, err)

	require.NoError(t, adapters.PutStats(ctx, kv, events.PoolStats{Version: 100, PoolSize: 7}))
	require.NoError(t, adapters.PutStats(ctx, kv, events.PoolStats{Version: 99, PoolSize: 3}))
	e, err := kv.Get(ctx, events.KeyPoolStats)
	require.NoError(t, err)
	var st events.PoolStats
	require.NoError(t, json.Unmarshal(e.Value(), &st))
	assert.Equal(t, int64(100), st.Version)
	assert.Equal(t, 7, st.PoolSize)

	status, err := kv.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), status.History())
}
