package domain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

var at = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func member(id, name string) Member {
	return Member{TwitchUserID: id, DisplayName: "D" + id, CharacterName: name}
}

func slot(n int64) *int64 { return &n }

func TestRosterEnroll_EligibleViewerTakesTheNextSlotAndRaisesEnrolled(t *testing.T) {
	t.Parallel()
	r := NewRoster(Stats{Version: 7, PoolSize: 2, EligibleCount: 1})
	r.LoadViewer(Viewer{TwitchUserID: "u1"})
	r.LoadViewer(Viewer{TwitchUserID: "u2", ActivePayoutID: "p1"})

	c, err := r.Enroll(member("u1", "Alice"), "chat:1", at)
	require.NoError(t, err)
	assert.Equal(t, Enrolled, c.Kind)
	_, err = r.Enroll(member("u2", "Bobby"), "chat:2", at)
	require.NoError(t, err)

	assert.Equal(t, Stats{Version: 7, PoolSize: 4, EligibleCount: 2}, r.Stats(), "only the eligible one counts for the draw")
	assert.True(t, r.Changed())
	assert.Equal(t, []Write{
		MemberAdded{Member: member("u1", "Alice"), Slot: slot(1), At: at},
		MemberAdded{Member: member("u2", "Bobby"), Slot: nil, At: at},
	}, r.Writes())
	assert.Equal(t, []Event{
		{ID: "chat:1:enrolled", Kind: EventEnrolled, At: at, Member: member("u1", "Alice"), PoolSize: 3, EligibleCount: 2},
		{ID: "chat:2:enrolled", Kind: EventEnrolled, At: at, Member: member("u2", "Bobby"), PoolSize: 4, EligibleCount: 2},
	}, r.Events(), "each event carries the sizes right after its change")
}

func TestRosterEnroll_RenameFreesTheOldNameForTheNextRequest(t *testing.T) {
	t.Parallel()
	r := NewRoster(Stats{PoolSize: 1, EligibleCount: 1})
	r.LoadMember(member("u1", "Alice"), slot(0))
	r.LoadViewer(Viewer{TwitchUserID: "u1"})
	r.LoadViewer(Viewer{TwitchUserID: "u2"})

	_, err := r.Enroll(member("u2", "alice"), "chat:1", at)
	assert.Equal(t, errs.CharacterNameTaken, errs.CodeOf(err))
	c, err := r.Enroll(member("u1", "Bob"), "chat:2", at)
	require.NoError(t, err)
	assert.Equal(t, Change{Kind: Renamed, Member: member("u1", "Bob"), OldName: "Alice"}, c)
	_, err = r.Enroll(member("u2", "ALICE"), "chat:3", at)
	require.NoError(t, err, "the rename freed the name")

	assert.Equal(t, Stats{PoolSize: 2, EligibleCount: 2}, r.Stats(), "a rename keeps the slot")
	require.Len(t, r.Events(), 2)
	assert.Equal(t, "Alice", r.Events()[0].OldName)
	assert.Equal(t, EventRenamed, r.Events()[0].Kind)
}

func TestRosterEnroll_SameNameChangesOnlyTheDisplayName(t *testing.T) {
	t.Parallel()
	r := NewRoster(Stats{PoolSize: 1, EligibleCount: 1})
	r.LoadMember(Member{TwitchUserID: "u1", DisplayName: "old", CharacterName: "Alice"}, slot(0))
	r.LoadViewer(Viewer{TwitchUserID: "u1"})
	c, err := r.Enroll(Member{TwitchUserID: "u1", DisplayName: "new", CharacterName: "Alice"}, "chat:1", at)
	require.NoError(t, err)
	assert.Equal(t, Unchanged, c.Kind)
	assert.Equal(t, []Write{DisplayNameChanged{TwitchUserID: "u1", DisplayName: "new"}}, r.Writes())
	assert.Empty(t, r.Events())
	assert.False(t, r.Changed(), "the counters' version does not move")
}

func TestRosterApplyPayout_ActivePayoutFreesTheSlotWithTheLastOne(t *testing.T) {
	t.Parallel()
	r := NewRoster(Stats{PoolSize: 3, EligibleCount: 3})
	r.LoadMember(member("u1", "Alice"), slot(0))
	r.LoadViewer(Viewer{TwitchUserID: "u1"})

	removed := r.ApplyPayout(PayoutFact{PayoutID: "p1", TwitchUserID: "u1", Status: shared.PayoutPending, Version: 1, At: at}, "p1")
	assert.Nil(t, removed)
	assert.Equal(t, Stats{PoolSize: 3, EligibleCount: 2}, r.Stats())
	assert.Equal(t, []Write{
		ViewerFactsChanged{Viewer: Viewer{TwitchUserID: "u1", ActivePayoutID: "p1"}},
		SlotCleared{TwitchUserID: "u1"},
		SlotMoved{From: 2, To: 0},
	}, r.Writes(), "the member at the last slot fills the hole: slots stay dense")
	assert.True(t, r.Changed())

	r.ApplyPayout(PayoutFact{PayoutID: "p1", TwitchUserID: "u1", Status: shared.PayoutCancelled, Version: 2, At: at}, "")
	assert.Equal(t, Stats{PoolSize: 3, EligibleCount: 3}, r.Stats(), "eligible again once the payout ended")
	assert.Equal(t, SlotAssigned{TwitchUserID: "u1", Slot: 2}, r.Writes()[len(r.Writes())-1])
}

func TestRosterApplyPayout_SentRemovesTheMemberAndKeepsTheLargestLifetime(t *testing.T) {
	t.Parallel()
	r := NewRoster(Stats{PoolSize: 2, EligibleCount: 1})
	r.LoadMember(member("u1", "Alice"), nil) // not eligible: the payout is active
	r.LoadViewer(Viewer{TwitchUserID: "u1", ActivePayoutID: "p1", LifetimeSentGold: 3000})

	removed := r.ApplyPayout(PayoutFact{PayoutID: "p1", TwitchUserID: "u1", Status: shared.PayoutSent, Version: 3, LifetimeSentGold: 2000, At: at}, "")
	require.NotNil(t, removed)
	assert.Equal(t, "Alice", removed.CharacterName)
	assert.Equal(t, Stats{PoolSize: 1, EligibleCount: 1}, r.Stats())
	assert.Equal(t, []Write{
		ViewerFactsChanged{Viewer: Viewer{TwitchUserID: "u1", LifetimeSentGold: 3000}},
		MemberRemoved{TwitchUserID: "u1"},
	}, r.Writes(), "a stale lifetime never lowers the known one")
	assert.Equal(t, []Event{{ID: "pool:payout:p1:removed", Kind: EventRemoved, At: at, Member: member("u1", "Alice"),
		Reason: ReasonSent, PoolSize: 1, EligibleCount: 1}}, r.Events())

	_, err := r.Enroll(member("u2", "alice"), "chat:9", at)
	assert.NoError(t, err, "the winner's name is free again")
}

func TestRosterApplyPayout_CapReachedIsNotEligible(t *testing.T) {
	t.Parallel()
	r := NewRoster(Stats{PoolSize: 1, EligibleCount: 1})
	r.LoadMember(member("u1", "Alice"), slot(0))
	r.LoadViewer(Viewer{TwitchUserID: "u1"})
	r.ApplyPayout(PayoutFact{PayoutID: "p9", TwitchUserID: "u1", Status: shared.PayoutCancelled, Version: 2,
		LifetimeSentGold: LifetimeCapGold, At: at}, "")
	assert.Equal(t, int64(0), r.Stats().EligibleCount)
	assert.Equal(t, int64(1), r.Stats().PoolSize, "still a member, just not drawable")
}
