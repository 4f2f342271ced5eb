package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/pool/ports"
)

func TestPayout_ActivePayoutBlocksUntilTerminal(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	require.Equal(t, 1, h.stats().EligibleCount)

	h.payout(events.PayoutCreated, "p1", "u1", domain.PayoutPending, 1, 0)
	h.payoutDrained()
	assert.Equal(t, "Alice", h.name("u1"), "still in the pool")
	assert.Equal(t, events.PoolStats{}.EligibleCount, h.stats().EligibleCount, "not eligible with an active payout")
	assert.Nil(t, h.draw("").Member)

	h.payout(events.PayoutStatusChanged, "p1", "u1", domain.PayoutInProgress, 2, 0)
	h.payout(events.PayoutStatusChanged, "p1", "u1", domain.PayoutCancelled, 3, 0)
	h.payoutDrained()
	assert.Equal(t, 1, h.stats().EligibleCount, "a terminal payout makes the member eligible again")
	d := h.draw("")
	require.NotNil(t, d.Member)
	assert.Equal(t, "Alice", d.Member.CharacterName)
	h.assertSlotsDense()
}

func TestPayout_SentRemovesMemberKeepsLifetimeAndAllowsReenrollment(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chat("u2", "!twgold Bobby")
	h.chatDrained()

	h.payout(events.PayoutCreated, "p1", "u1", domain.PayoutPending, 1, 0)
	h.payout(events.PayoutStatusChanged, "p1", "u1", domain.PayoutInProgress, 2, 0)
	h.payout(events.PayoutStatusChanged, "p1", "u1", domain.PayoutSent, 3, 1000)
	h.payoutDrained()

	assert.False(t, h.me("u1").IsEnrolled, "Sent removes the winner")
	st := h.stats()
	assert.Equal(t, 1, st.PoolSize)
	assert.Equal(t, 1, st.EligibleCount)
	v := h.viewer("u1")
	assert.Equal(t, int64(1000), v.LifetimeSentGold)
	assert.Empty(t, v.ActivePayoutID)

	h.eventsSettled()
	evs := h.poolEvents()
	require.Len(t, evs, 3)
	assert.Equal(t, events.PoolMemberRemoved, evs[2].Type)
	assert.Equal(t, "pool:payout:p1:removed", evs[2].ID)
	var m events.PoolMember
	require.NoError(t, json.Unmarshal(evs[2].Data, &m))
	assert.Equal(t, "sent", m.Reason)
	assert.Equal(t, "Alice", m.CharacterName)

	// A repeated Sent after re-enrolling must not remove the member again.
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	h.payout(events.PayoutStatusChanged, "p1", "u1", domain.PayoutSent, 3, 1000)
	h.payoutDrained()
	assert.Equal(t, "Alice", h.name("u1"))
	assert.Equal(t, 2, h.stats().EligibleCount)
	h.assertSlotsDense()
}

func TestPayout_CapReachedIsNotEligible(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	h.payout(events.PayoutStatusChanged, "p9", "u1", domain.PayoutSent, 3, 9000)
	h.payoutDrained()
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	assert.Equal(t, 1, h.stats().EligibleCount, "9,000 g sent: one more win fits the cap")

	h.payout(events.PayoutStatusChanged, "p10", "u1", domain.PayoutSent, 3, 10000)
	h.payoutDrained()
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	assert.Equal(t, "Alice", h.name("u1"), "may still enroll")
	st := h.stats()
	assert.Equal(t, 1, st.PoolSize)
	assert.Equal(t, 0, st.EligibleCount, "at the cap: never drawn")
	assert.Nil(t, h.draw("").Member)
	h.assertSlotsDense()
}

func TestPayout_OutOfOrderAndDuplicateEventsAreIdempotent(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chat("u2", "!twgold Bobby")
	h.chatDrained()

	// Cancelled (v2) arrives before Created (v1): the older version changes nothing.
	h.payout(events.PayoutStatusChanged, "p1", "u1", domain.PayoutCancelled, 2, 0)
	h.payout(events.PayoutCreated, "p1", "u1", domain.PayoutPending, 1, 0)
	// A stale lifetime total never lowers the known one.
	h.payout(events.PayoutStatusChanged, "p0", "u2", domain.PayoutSent, 3, 2000)
	h.payout(events.PayoutStatusChanged, "p00", "u2", domain.PayoutCancelled, 2, 1000)
	h.payoutDrained()

	assert.Equal(t, "Alice", h.name("u1"))
	v := h.viewer("u1")
	assert.Empty(t, v.ActivePayoutID, "the late Created did not reactivate a cancelled payout")
	v2 := h.viewer("u2")
	assert.Equal(t, int64(2000), v2.LifetimeSentGold)
	assert.Equal(t, 1, h.stats().EligibleCount)
	h.assertSlotsDense()
}

func TestPayout_ManyMembersSlotsStayDense(t *testing.T) {
	t.Parallel()
	h := start(t)
	names := []string{"Alice", "Bobby", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi"}
	users := []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"}
	for i, u := range users {
		h.chat(u, "!twgold "+names[i])
	}
	h.chatDrained()
	// Block some from the middle, send one, cancel another: swap-remove in the middle.
	h.payout(events.PayoutCreated, "p2", "u2", domain.PayoutPending, 1, 0)
	h.payout(events.PayoutCreated, "p5", "u5", domain.PayoutPending, 1, 0)
	h.payout(events.PayoutCreated, "p1", "u1", domain.PayoutPending, 1, 0)
	h.payout(events.PayoutStatusChanged, "p5", "u5", domain.PayoutSent, 3, 1000)
	h.payout(events.PayoutStatusChanged, "p2", "u2", domain.PayoutFailed, 2, 0)
	h.payoutDrained()
	st := h.stats()
	assert.Equal(t, 7, st.PoolSize)
	assert.Equal(t, 6, st.EligibleCount)
	h.assertSlotsDense()
}

// The pool's payout consumer reads the whole payout stream through one wildcard filter
// (servers before 2.10 refuse several filters), so it must skip the events it does not
// fold: here an accepted and an announced event whose payload, if read, would remove
// the member.
func TestPayout_AcceptedAndAnnouncedEventsAreSkipped(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	h.payout(events.PayoutCreated, "p1", "u1", domain.PayoutPending, 1, 0)
	h.payout(events.PayoutAccepted, "p1", "u1", domain.PayoutSent, 2, 1000)
	h.payout(events.PayoutAnnounced, "p1", "u1", domain.PayoutSent, 3, 1000)
	h.payoutDrained()
	assert.Equal(t, "Alice", h.name("u1"), "only a status change to Sent removes the member")

	c, err := h.js.Consumer(context.Background(), events.StreamPayout.Name, ports.PayoutConsumer)
	require.NoError(t, err)
	info, err := c.Info(context.Background())
	require.NoError(t, err)
	assert.Empty(t, info.Config.FilterSubjects, "one filter subject, so nats-server 2.9 accepts the consumer")
}
