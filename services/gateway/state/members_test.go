package state

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

func enrolled(name string) events.PoolMeReply {
	return events.PoolMeReply{IsEnrolled: true, CharacterName: &name}
}

func TestMembers_NeverAnswersBeforeTheFeedIsLive(t *testing.T) {
	t.Parallel()
	m := NewMembers(time.Minute, 10, time.Now)
	m.Put(m.Begin(), "1", enrolled("Norinn"))
	_, ok := m.Get("1")
	assert.False(t, ok)
}

func TestMembers_FetchRacingAnInvalidationIsNotCached(t *testing.T) {
	t.Parallel()
	m := NewMembers(time.Minute, 10, time.Now)
	m.live.Store(true)
	token := m.Begin()
	m.Invalidate("1") // an enrolled event arrived while the fetch was in flight
	m.Put(token, "1", events.PoolMeReply{})
	_, ok := m.Get("1")
	assert.False(t, ok, "the possibly stale answer must not be cached")

	m.Put(m.Begin(), "1", enrolled("Norinn"))
	got, ok := m.Get("1")
	require.True(t, ok)
	assert.Equal(t, "Norinn", *got.CharacterName)
}

func TestMembers_ExpireAfterTTLAndStayBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 4, 4, 12, 0, 0, 0, time.UTC)
	m := NewMembers(30*time.Second, 2, func() time.Time { return now })
	m.live.Store(true)
	m.Put(m.Begin(), "1", enrolled("Norinn"))
	now = now.Add(31 * time.Second)
	_, ok := m.Get("1")
	assert.False(t, ok, "expired")
	m.Put(m.Begin(), "1", enrolled("A"))
	m.Put(m.Begin(), "2", enrolled("B"))
	m.Put(m.Begin(), "3", enrolled("C"))
	m.mu.Lock()
	n := len(m.entries)
	m.mu.Unlock()
	assert.LessOrEqual(t, n, 2)
}

// A member event published by the pool drops that viewer's cached answer.
func TestMembers_WatchInvalidatesOnMemberEvents(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.StreamPool))
	m := NewMembers(time.Minute, 100, time.Now)
	go m.Watch(ctx, js, testenv.Logger(t))
	testenv.Eventually(t, 5*time.Second, m.live.Load, "feed never went live")

	m.Put(m.Begin(), "42", events.PoolMeReply{})
	m.Put(m.Begin(), "43", enrolled("Jaina"))
	env, err := events.New("", events.PoolMemberEnrolled, "test", time.Now(), events.PoolMember{TwitchUserID: "42", CharacterName: "Norinn"})
	require.NoError(t, err)
	_, err = natsx.PublishEvent(ctx, js, env)
	require.NoError(t, err)
	testenv.Eventually(t, 5*time.Second, func() bool { _, ok := m.Get("42"); return !ok }, "entry not invalidated")
	_, ok := m.Get("43")
	assert.True(t, ok, "other viewers keep their entries")
}
