package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

func TestPublish_SameEnvelopeIDIsStoredOnce(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	ctx := context.Background()
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.AllStreams...))

	env, err := events.New("", events.PoolMemberEnrolled, "test", time.Now(), events.PoolMember{TwitchUserID: "1", CharacterName: "Norinn"})
	require.NoError(t, err)
	a1, err := natsx.PublishEvent(ctx, js, env)
	require.NoError(t, err)
	a2, err := natsx.PublishEvent(ctx, js, env)
	require.NoError(t, err)
	assert.False(t, a1.Duplicate)
	assert.True(t, a2.Duplicate, "a retried publish is deduplicated by Nats-Msg-Id")

	s, err := js.Stream(ctx, events.StreamPool.Name)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), info.State.Msgs)
	assert.GreaterOrEqual(t, info.Config.Duplicates, 10*time.Minute)

	m, err := s.GetMsg(ctx, a1.Sequence)
	require.NoError(t, err)
	var pm events.PoolMember
	got, err := events.Decode(m.Data, &pm)
	require.NoError(t, err)
	assert.Equal(t, env.ID, got.ID)
	assert.Equal(t, "Norinn", pm.CharacterName)
}
