package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"

	"github.com/mimiron/mgm/services/pool/adapters"
	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

func TestDraw_EmptyPoolDrawsNobody(t *testing.T) {
	t.Parallel()
	h := start(t)
	d := h.draw("cycle-1")
	assert.Nil(t, d.Member)
	assert.Zero(t, d.EligibleCount)
}

func TestDraw_SameCycleAnswersTheSameCandidate(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i, n := range []string{"Alice", "Bobby", "Carol", "Dave", "Erin"} {
		h.chat(fmt.Sprintf("u%d", i), "!twgold "+n)
	}
	h.chatDrained()
	first := h.draw("cycle-1")
	require.NotNil(t, first.Member)
	assert.Equal(t, 5, first.EligibleCount)
	for range 5 {
		assert.Equal(t, first, h.draw("cycle-1"))
	}
}

func TestDraw_IsUniformOverEligibleMembers(t *testing.T) {
	t.Parallel()
	h := start(t)
	names := []string{"Alice", "Bobby", "Carol", "Dave"}
	for i, n := range names {
		h.chat(fmt.Sprintf("u%d", i), "!twgold "+n)
	}
	h.chat("u9", "!twgold Blocked")
	h.chatDrained()
	h.payout(events.PayoutCreated, "p9", "u9", shared.PayoutPending, 1, 0)
	h.payoutDrained()

	const draws = 2000
	counts := map[string]int{}
	for range draws {
		d, err := h.repo.Draw(context.Background(), "", app.CryptoRandom)
		require.NoError(t, err)
		require.NotNil(t, d.Member)
		counts[d.Member.CharacterName]++
	}
	assert.Zero(t, counts["Blocked"], "a member with an active payout is never drawn")
	expected := float64(draws) / float64(len(names))
	chi2 := 0.0
	for _, n := range names {
		diff := float64(counts[n]) - expected
		chi2 += diff * diff / expected
	}
	// 3 degrees of freedom: P(χ² > 40) < 1e-8, so a fair draw never fails this, while a
	// draw that ignores a member or favours one by 20 % fails it.
	assert.Less(t, chi2, 40.0, "counts %v", counts)
}

func TestEnroll_ConcurrentClaimsForOneNameHaveOneWinner(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := &app.Service{Repo: h.repo, Log: h.logger()}
	const n = 16
	var wg sync.WaitGroup
	codes := make([]errs.Code, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Claim(context.Background(), app.ClaimRequest{
				TwitchUserID: fmt.Sprintf("u%d", i), CharacterName: []string{"Alice", "ALICE", "alice"}[i%3],
				RequestID: "r",
			})
			codes[i] = errs.CodeOf(err)
		}()
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		if c == "" {
			won++
		} else {
			assert.Equal(t, errs.CharacterNameTaken, c)
		}
	}
	assert.Equal(t, 1, won)
	assert.Equal(t, 1, h.stats().PoolSize)
	h.assertSlotsDense()
}

func TestChat_TwoReplicasConsumingTogetherKeepEveryRule(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.replica()
	names := []string{"Alice", "Bobby", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy"}
	const users, rounds = 25, 6
	for r := range rounds {
		for u := range users {
			h.chat(fmt.Sprintf("u%d", u), "!twgold "+names[(u*7+r*3)%len(names)])
		}
	}
	// Payout events interleave with the enrollments.
	for u := range 5 {
		h.payout(events.PayoutCreated, fmt.Sprintf("p%d", u), fmt.Sprintf("u%d", u), shared.PayoutPending, 1, 0)
	}
	h.chatDrained()
	h.payoutDrained()

	st := h.stats()
	assert.LessOrEqual(t, st.PoolSize, len(names), "names are unique in the pool")
	assert.Positive(t, st.PoolSize)
	var distinct int
	require.NoError(t, h.pg.QueryRow(context.Background(), `SELECT count(DISTINCT folded_name) FROM members`).Scan(&distinct))
	assert.Equal(t, st.PoolSize, distinct)
	h.assertSlotsDense()

	var handled int
	require.NoError(t, h.pg.QueryRow(context.Background(), `SELECT count(*) FROM enrollment_requests`).Scan(&handled))
	assert.Equal(t, users*rounds, handled, "every message handled exactly once")
}

func TestSeedEligible_LoadsDrawableMembers(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	require.NoError(t, adapters.SeedEligible(context.Background(), h.pg, 500))
	require.NoError(t, adapters.SeedEligible(context.Background(), h.pg, 500))
	st := h.stats()
	assert.Equal(t, 1001, st.PoolSize)
	assert.Equal(t, 1001, st.EligibleCount)
	h.assertSlotsDense()
	d := h.draw("")
	require.NotNil(t, d.Member)
	// The seeded names follow the character name rules.
	var bad int
	rows, err := h.pg.Query(context.Background(), `SELECT character_name, folded_name FROM members`)
	require.NoError(t, err)
	for rows.Next() {
		var name, folded string
		require.NoError(t, rows.Scan(&name, &folded))
		if !(domain.Member{CharacterName: name}.Folded() == folded) {
			bad++
		}
	}
	require.NoError(t, rows.Err())
	assert.Zero(t, bad)
}

func TestDraw_RejectsTheIncompleteLastBlockToStayUniform(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i, n := range []string{"Alice", "Bobby", "Carol"} {
		h.chat(fmt.Sprintf("u%d", i), "!twgold "+n)
	}
	h.chatDrained()
	// 2^62 mod 3 = 1: the single value 2^62-1 lies in the incomplete block and is redrawn.
	script := []int64{app.RandomLimit - 1, 4}
	calls := 0
	d, err := h.repo.Draw(context.Background(), "", func() (int64, error) {
		v := script[calls]
		calls++
		return v, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
	require.NotNil(t, d.Member)
	var slot int64
	require.NoError(t, h.pg.QueryRow(context.Background(), `SELECT slot FROM members WHERE twitch_user_id = $1`, d.Member.TwitchUserID).Scan(&slot))
	assert.Equal(t, int64(1), slot, "4 mod 3")
}

// The draw answers when the drawn membership began, the same for a repeated draw of
// the cycle; a membership begun anew after a Sent payout answers its own, later time
// (the payout service refuses a win paid since the membership began).
func TestDraw_AnswersWhenTheMembershipBegan(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	first := h.draw("cycle-1")
	require.NotNil(t, first.Member)
	require.NotNil(t, first.Member.EnrolledAt, "the draw says when the membership began")
	assert.Equal(t, first, h.draw("cycle-1"), "a repeated draw answers the same, enrolledAt included")

	h.chat("u1", "!twgold Alicia") // a rename keeps the membership
	h.chatDrained()
	renamed := h.draw("cycle-2")
	require.NotNil(t, renamed.Member)
	assert.Equal(t, "Alicia", renamed.Member.CharacterName)
	assert.True(t, first.Member.EnrolledAt.Equal(*renamed.Member.EnrolledAt), "a rename is the same membership")

	h.payout(events.PayoutCreated, "p1", "u1", shared.PayoutPending, 1, 0)
	h.payout(events.PayoutStatusChanged, "p1", "u1", shared.PayoutInProgress, 2, 0)
	h.payout(events.PayoutStatusChanged, "p1", "u1", shared.PayoutSent, 3, 1000)
	h.payoutDrained()
	assert.Nil(t, h.draw("cycle-3").Member, "Sent took her out of the pool")

	h.chat("u1", "!twgold Alice")
	h.chatDrained()
	again := h.draw("cycle-4")
	require.NotNil(t, again.Member)
	require.NotNil(t, again.Member.EnrolledAt)
	assert.True(t, again.Member.EnrolledAt.After(*first.Member.EnrolledAt), "a new membership: %s after %s",
		again.Member.EnrolledAt, first.Member.EnrolledAt)
}
