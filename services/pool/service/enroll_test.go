package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
)

func TestChat_EnrollsSubscriberAndPublishesEnrolled(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chatDrained()

	assert.Equal(t, "Alice", h.name("u1"))
	st := h.stats()
	assert.Equal(t, 1, st.PoolSize)
	assert.Equal(t, 1, st.EligibleCount)

	h.eventsSettled()
	evs := h.poolEvents()
	require.Len(t, evs, 1)
	assert.Equal(t, events.PoolMemberEnrolled, evs[0].Type)
	assert.Equal(t, "pool:chat:msg-1:enrolled", evs[0].ID)
	var m events.PoolMember
	require.NoError(t, json.Unmarshal(evs[0].Data, &m))
	assert.Equal(t, events.PoolMember{TwitchUserID: "u1", TwitchDisplayName: "Useru1", CharacterName: "Alice", PoolSize: 1, EligibleCount: 1}, m)
}

func TestChat_RenameFreesOldName(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chat("u1", "!twgold Bob")
	h.chat("u2", "!twgold alice")
	h.chatDrained()

	assert.Equal(t, "Bob", h.name("u1"))
	assert.Equal(t, "Alice", h.name("u2"), "the old name is free once renamed (and shown the game's way)")
	assert.Equal(t, 2, h.stats().PoolSize)
	h.assertSlotsDense()

	h.eventsSettled()
	evs := h.poolEvents()
	require.Len(t, evs, 3)
	assert.Equal(t, events.PoolMemberRenamed, evs[1].Type)
	var m events.PoolMember
	require.NoError(t, json.Unmarshal(evs[1].Data, &m))
	assert.Equal(t, "Alice", m.OldCharacterName)
	assert.Equal(t, "Bob", m.CharacterName)
}

func TestChat_NameTakenByAnotherViewerIsRefusedAndAcked(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Норинн")
	h.chat("u2", "!twgold нОРИНН")
	h.chatDrained()

	assert.Equal(t, "Норинн", h.name("u1"))
	assert.Equal(t, "", h.name("u2"))
	assert.Equal(t, 1, h.stats().PoolSize)

	c, err := h.js.Consumer(context.Background(), events.StreamChat.Name, "pool-chat")
	require.NoError(t, err)
	info, err := c.Info(context.Background())
	require.NoError(t, err)
	assert.Zero(t, info.NumRedelivered, "a refusal is acked, not retried")
	assert.Equal(t, uint64(2), info.AckFloor.Stream)
}

// The regression of issue 12: "Thrall" (Latin) and "Thrаll" (Cyrillic а) both enrolled,
// two members no human can tell apart. The second is a name no character can have.
func TestChat_LookAlikeOfALatinNameIsRefused(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Thrall")
	h.chat("u2", "!twgold Thr\u0430ll")
	h.chat("u3", "!twgold \u0422hrall")
	h.chatDrained()

	assert.Equal(t, "Thrall", h.name("u1"))
	assert.False(t, h.me("u2").IsEnrolled)
	assert.False(t, h.me("u3").IsEnrolled)
	assert.Equal(t, 1, h.stats().PoolSize)
}

func TestChat_NameIsShownTheWayTheGameShowsIt(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold tHRALL")
	h.chat("u2", "!twgold нОРИНН")
	h.chatDrained()
	assert.Equal(t, "Thrall", h.name("u1"))
	assert.Equal(t, "Норинн", h.name("u2"))
}

func TestChat_IgnoredMessagesChangeNothing(t *testing.T) {
	t.Parallel()
	h := start(t)
	cases := []struct {
		name string
		send func()
	}{
		{"non-subscriber", func() { h.chat("u1", "!twgold Alice", badges()) }},
		{"vip only", func() { h.chat("u2", "!twgold Bobby", badges("vip")) }},
		{"prime is not a subscription by default", func() { h.chat("u3", "!twgold Carol", badges("premium")) }},
		{"shared chat relay", func() {
			h.chat("u4", "!twgold Dave", func(c *events.ChatCommand) { c.SourceBroadcasterUserID = "b2" })
		}},
		{"another broadcaster", func() {
			h.chat("u5", "!twgold Erin", func(c *events.ChatCommand) { c.BroadcasterUserID = "b2" })
		}},
		{"no name", func() { h.chat("u6", "!twgold") }},
		{"extra words", func() { h.chat("u7", "!twgold Frank please") }},
		{"digits in name", func() { h.chat("u8", "!twgold Gr4ce") }},
		{"name too long", func() { h.chat("u9", "!twgold Abcdefghijklm") }},
		{"another command", func() { h.chat("u10", "!twgift Heidi") }},
	}
	for _, c := range cases {
		c.send()
	}
	h.chatDrained()
	for i := range cases {
		user := []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10"}[i]
		assert.False(t, h.me(user).IsEnrolled, cases[i].name)
	}
	assert.Equal(t, 0, h.stats().PoolSize)
	assert.Zero(t, h.stats().Version, "nothing changed")
}

func TestChat_PremiumCountsOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config) { c.SubscriberBadges = []string{"subscriber", "founder", "premium"} })
	h.chat("u1", "!twgold Alice", badges("premium"))
	h.chat("u2", "!twgold Bobby", badges("founder"))
	h.chatDrained()
	assert.Equal(t, "Alice", h.name("u1"))
	assert.Equal(t, "Bobby", h.name("u2"))
}

func TestChat_DuplicateMessageIDChangesNothing(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice", msgID("m-1"))
	h.chat("u1", "!twgold Bob", msgID("m-2"))
	h.chat("u1", "!twgold Alice", msgID("m-1")) // redelivered: must not rename back
	h.chat("u2", "!twgold Carol", msgID("m-3"))
	h.chat("u3", "!twgold Carol", msgID("m-4")) // refused: taken
	h.chat("u2", "!twgold Dave", msgID("m-5"))  // frees Carol
	h.chat("u3", "!twgold Carol", msgID("m-4")) // redelivered refusal stays refused
	h.chatDrained()

	assert.Equal(t, "Bob", h.name("u1"))
	assert.Equal(t, "Dave", h.name("u2"))
	assert.Equal(t, "", h.name("u3"))
	h.eventsSettled()
	assert.Len(t, h.poolEvents(), 4, "enrolled, renamed, enrolled, renamed — nothing for the duplicates")
}

func TestClaim_CreatedThenReplay(t *testing.T) {
	t.Parallel()
	h := start(t)
	req := events.PoolClaimRequest{TwitchUserID: "u1", TwitchDisplayName: "One", CharacterName: "Alice", EnrollmentRequestID: "r1"}
	var first, again events.PoolClaimReply
	require.NoError(t, h.call(events.RPCPoolClaim, req, &first))
	assert.Equal(t, events.PoolClaimReply{CharacterName: "Alice", EnrollmentRequestID: "r1"}, first)

	req.CharacterName = "Other" // a replay answers what the first call did
	require.NoError(t, h.call(events.RPCPoolClaim, req, &again))
	assert.Equal(t, events.PoolClaimReply{CharacterName: "Alice", EnrollmentRequestID: "r1", Replay: true}, again)
	assert.Equal(t, "Alice", h.name("u1"))

	// Request ids are per user: another viewer's r1 is its own claim, under the chat rules.
	err := h.call(events.RPCPoolClaim, events.PoolClaimRequest{TwitchUserID: "u2", CharacterName: "ALICE", EnrollmentRequestID: "r1"}, nil)
	assert.Equal(t, errs.CharacterNameTaken, errs.CodeOf(err))
	var other events.PoolClaimReply
	require.NoError(t, h.call(events.RPCPoolClaim, events.PoolClaimRequest{TwitchUserID: "u2", CharacterName: "Bobby", EnrollmentRequestID: "r1"}, &other))
	assert.False(t, other.Replay, "a refused claim is not recorded, so its id can be retried")
	assert.Equal(t, "Bobby", h.name("u2"))

	// A new request id renames, like chat.
	require.NoError(t, h.call(events.RPCPoolClaim, events.PoolClaimRequest{TwitchUserID: "u1", CharacterName: "Carol", EnrollmentRequestID: "r2"}, &other))
	assert.False(t, other.Replay)
	assert.Equal(t, "Carol", h.name("u1"))
	assert.Equal(t, 2, h.stats().PoolSize)
}

func TestClaim_Refusals(t *testing.T) {
	t.Parallel()
	h := start(t)
	cases := []struct {
		name string
		req  events.PoolClaimRequest
		code errs.Code
	}{
		{"invalid name", events.PoolClaimRequest{TwitchUserID: "u1", CharacterName: "A1", EnrollmentRequestID: "r"}, errs.InvalidCharacterName},
		{"look-alike", events.PoolClaimRequest{TwitchUserID: "u1", CharacterName: "Thr\u0430ll", EnrollmentRequestID: "r"}, errs.InvalidCharacterName},
		{"three in a row", events.PoolClaimRequest{TwitchUserID: "u1", CharacterName: "Aaarg", EnrollmentRequestID: "r"}, errs.InvalidCharacterName},
		{"two words", events.PoolClaimRequest{TwitchUserID: "u1", CharacterName: "Ali ce", EnrollmentRequestID: "r"}, errs.InvalidCharacterName},
		{"no user", events.PoolClaimRequest{CharacterName: "Alice", EnrollmentRequestID: "r"}, errs.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := h.call(events.RPCPoolClaim, c.req, nil)
			assert.Equal(t, c.code, errs.CodeOf(err))
		})
	}
	msg, err := h.nc.Request(events.RPCPoolClaim, []byte("{not json"), testenvTimeout)
	require.NoError(t, err)
	assert.Equal(t, string(errs.Invalid), msg.Header.Get("Mgm-Error-Code"))
}

func TestPoolMe_NotEnrolled(t *testing.T) {
	t.Parallel()
	h := start(t)
	r := h.me("nobody")
	assert.False(t, r.IsEnrolled)
	assert.Nil(t, r.CharacterName)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"isEnrolled":false,"characterName":null}`, string(b))
}

func TestStatsKV_FollowsEveryChangeWithGrowingVersion(t *testing.T) {
	t.Parallel()
	h := start(t)
	kv, err := h.js.KeyValue(context.Background(), events.StateBucket)
	require.NoError(t, err)
	read := func() events.PoolStats {
		e, err := kv.Get(context.Background(), events.KeyPoolStats)
		if err != nil {
			return events.PoolStats{Version: -1}
		}
		var s events.PoolStats
		require.NoError(t, json.Unmarshal(e.Value(), &s))
		return s
	}
	testenv.Eventually(t, testenvTimeout, func() bool { return read().Version == 0 }, "stats written at start")

	h.chat("u1", "!twgold Alice")
	h.chat("u2", "!twgold Bobby")
	testenv.Eventually(t, testenvTimeout, func() bool { s := read(); return s.PoolSize == 2 && s.EligibleCount == 2 }, "stats after enrollments")
	v := read().Version
	assert.Positive(t, v)

	h.payout(events.PayoutCreated, "p1", "u1", "Pending", 1, 0)
	testenv.Eventually(t, testenvTimeout, func() bool { s := read(); return s.PoolSize == 2 && s.EligibleCount == 1 }, "stats after payout")
	assert.Greater(t, read().Version, v)
}
