package domain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func newReq(id, user, name string) NewRequest {
	return NewRequest{ID: id, TwitchUserID: user, CharacterName: name, Source: shared.GiftSourceChat}
}

func mustCreate(t *testing.T, q *Queue, id, user string, at time.Time) *Request {
	t.Helper()
	r, err := q.Create(newReq(id, user, "Norinn"), false, at)
	require.NoError(t, err)
	return r
}

func TestQueue_OneServedAtATimeNextPromotedOnCompletion(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	a := mustCreate(t, q, "a", "1", t0)
	b := mustCreate(t, q, "b", "2", t0.Add(time.Second))
	c := mustCreate(t, q, "c", "3", t0.Add(2*time.Second))
	assert.Equal(t, SelectingItem, a.Status, "the first request is served at once")
	assert.Equal(t, Pending, b.Status, "the second waits")
	assert.Equal(t, []int{1, 2, 3}, []int{q.Position(a), q.Position(b), q.Position(c)})
	assert.Equal(t, []time.Duration{0, 65 * time.Second, 130 * time.Second}, []time.Duration{ETA(q.Position(a)), ETA(q.Position(b)), ETA(q.Position(c))})

	require.NoError(t, q.SelectItem(a, Selection{ItemID: 33470}, t0.Add(10*time.Second)))
	assert.Equal(t, Pending, b.Status, "still one served while the first waits for consent")
	require.NoError(t, q.Confirm(a, true, t0.Add(20*time.Second)))
	require.NoError(t, q.SetStatus(a, Completed, "", t0.Add(30*time.Second)))
	assert.Equal(t, Completed, a.Status)
	assert.Equal(t, SelectingItem, b.Status, "the oldest pending is promoted")
	assert.Equal(t, Pending, c.Status)
	assert.Equal(t, 0, q.Position(a))
	assert.Equal(t, 2, q.Position(c))
	require.NotNil(t, b.DeadlineAt)
	assert.Equal(t, t0.Add(30*time.Second+SelectionTimeout), *b.DeadlineAt)
}

func TestETA_IsPositionMinusOneTimes65Seconds(t *testing.T) {
	t.Parallel()
	for pos, want := range map[int]time.Duration{0: 0, 1: 0, 2: 65 * time.Second, 5: 260 * time.Second} {
		assert.Equal(t, want, ETA(pos), "position %d", pos)
	}
}

func TestQueue_PositionWithoutServedRequestStartsAtOne(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s", Open: []*Request{{ID: "p1", Status: Pending}, {ID: "p2", Status: Pending}}}
	assert.Equal(t, 1, q.Position(q.Open[0]))
	assert.Equal(t, 2, q.Position(q.Open[1]))
}

func TestSweep_SelectionTimesOutAfter60s(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	a := mustCreate(t, q, "a", "1", t0)
	b := mustCreate(t, q, "b", "2", t0)
	assert.Nil(t, q.Sweep(t0.Add(59*time.Second)))
	assert.Equal(t, SelectingItem, a.Status)
	failed := q.Sweep(t0.Add(60 * time.Second))
	require.NotNil(t, failed)
	assert.Equal(t, Failed, a.Status)
	assert.Equal(t, shared.GiftReasonSelectionTimeout, a.Reason)
	assert.Equal(t, SelectingItem, b.Status, "next promoted")
}

func TestSweep_ConsentTimesOutAfter5MinutesUnlessAccepted(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	a := mustCreate(t, q, "a", "1", t0)
	require.NoError(t, q.SelectItem(a, Selection{ItemID: 1}, t0.Add(30*time.Second)))
	assert.Nil(t, q.Sweep(t0.Add(30*time.Second+ConfirmationTimeout-time.Millisecond)))
	q.Sweep(t0.Add(30*time.Second + ConfirmationTimeout))
	assert.Equal(t, Failed, a.Status)
	assert.Equal(t, shared.GiftReasonConfirmationTimeout, a.Reason)

	q2 := &Queue{StreamerID: "s"}
	b := mustCreate(t, q2, "b", "2", t0)
	require.NoError(t, q2.SelectItem(b, Selection{ItemID: 1}, t0))
	require.NoError(t, q2.Confirm(b, true, t0.Add(time.Minute)))
	assert.Nil(t, b.DeadlineAt, "an accepted gift waits for its mail without a backend timeout")
	assert.Nil(t, q2.Sweep(t0.Add(time.Hour)))
	assert.Equal(t, WaitingConfirmation, b.Status)
}

func TestCreate_OncePerViewer(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	a := mustCreate(t, q, "a", "1", t0)
	_, err := q.Create(newReq("a2", "1", "Other"), false, t0)
	assert.Equal(t, errs.GiftRequestActive, errs.CodeOf(err), "an open request blocks another")
	_, err = q.Create(newReq("a3", "1", "Other"), true, t0)
	assert.Equal(t, errs.GiftAlreadyUsed, errs.CodeOf(err), "a completed gift is the viewer's one")
	require.NoError(t, q.SetStatus(a, Failed, "", t0))
	_, err = q.Create(newReq("a4", "1", "Norinn"), false, t0)
	assert.NoError(t, err, "a failed request does not use the gift up")
}

func TestSetStatus_TransitionTable(t *testing.T) {
	t.Parallel()
	type tc struct {
		from Status
		to   Status
		code errs.Code // "" allowed
	}
	cases := []tc{
		{Pending, Failed, ""}, {Pending, SelectingItem, errs.InvalidTransition}, {Pending, WaitingConfirmation, errs.InvalidTransition}, {Pending, Completed, errs.InvalidTransition},
		{SelectingItem, Failed, ""}, {SelectingItem, WaitingConfirmation, errs.InvalidTransition}, {SelectingItem, Completed, errs.InvalidTransition}, {SelectingItem, Pending, errs.InvalidTransition},
		{WaitingConfirmation, Completed, ""}, {WaitingConfirmation, Failed, ""}, {WaitingConfirmation, Pending, errs.InvalidTransition}, {WaitingConfirmation, SelectingItem, errs.InvalidTransition},
		{Completed, Failed, errs.TerminalStatusChange}, {Completed, Pending, errs.TerminalStatusChange},
		{Failed, Completed, errs.TerminalStatusChange}, {Failed, SelectingItem, errs.TerminalStatusChange},
	}
	for _, s := range Statuses {
		cases = append(cases, tc{s, s, ""})
	}
	for _, c := range cases {
		r := &Request{ID: "x", Status: c.from, Version: 3}
		q := &Queue{StreamerID: "s"}
		if !c.from.Terminal() {
			q.Open = []*Request{r}
		}
		err := q.SetStatus(r, c.to, "", t0)
		if c.code == "" {
			assert.NoError(t, err, "%s → %s", c.from, c.to)
			assert.Equal(t, c.to, r.Status)
			if c.from == c.to {
				assert.Empty(t, q.Changes(), "%s → %s is a no-op", c.from, c.to)
			}
			continue
		}
		assert.Equal(t, c.code, errs.CodeOf(err), "%s → %s", c.from, c.to)
		assert.Equal(t, c.from, r.Status)
		var e *errs.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, c.from, e.Details["from"], "details.from tells the Desktop where the request is")
	}
}

func TestOfferItems_EmptyListFailsAndPromotes(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	a := mustCreate(t, q, "a", "1", t0)
	b := mustCreate(t, q, "b", "2", t0)
	require.NoError(t, q.OfferItems(a, []Item{}, t0))
	assert.Equal(t, Failed, a.Status)
	assert.Equal(t, shared.GiftReasonNoItems, a.Reason)
	assert.Equal(t, SelectingItem, b.Status)
	assert.NoError(t, q.OfferItems(a, []Item{}, t0), "a repeated empty list is a no-op")
	assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(q.OfferItems(a, []Item{{ItemID: 1, Count: 1}}, t0)))
}

func TestSelectItem_MustBeAmongListedItems(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	a := mustCreate(t, q, "a", "1", t0)
	items := []Item{{ItemID: 33470, Name: "Frostweave Cloth", Count: 32, Quality: 1}}
	require.NoError(t, q.OfferItems(a, items, t0))
	assert.Equal(t, errs.Invalid, errs.CodeOf(q.SelectItem(a, Selection{ItemID: 1}, t0)), "not listed")
	assert.Equal(t, errs.Invalid, errs.CodeOf(q.SelectItem(a, Selection{ItemID: 33470, Count: 33}, t0)), "more than the bags hold")
	assert.Equal(t, errs.Invalid, errs.CodeOf(q.SelectItem(a, Selection{ItemID: 0}, t0)))
	require.NoError(t, q.SelectItem(a, Selection{ItemID: 33470, Count: 20}, t0))
	assert.Equal(t, WaitingConfirmation, a.Status)
	assert.Equal(t, "Frostweave Cloth", a.ItemName, "the name comes from the list")
	assert.Equal(t, 20, a.ItemCount)
	n := len(q.Changes())
	assert.NoError(t, q.SelectItem(a, Selection{ItemID: 33470}, t0), "the same choice again is a no-op")
	assert.Len(t, q.Changes(), n)
	assert.Equal(t, errs.InvalidTransition, errs.CodeOf(q.SelectItem(a, Selection{ItemID: 2}, t0)))
	assert.NoError(t, q.OfferItems(a, items, t0), "a late item list changes nothing")
}

func TestConfirm_AcceptIdempotentDeclineFails(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	a := mustCreate(t, q, "a", "1", t0)
	assert.Equal(t, errs.InvalidTransition, errs.CodeOf(q.Confirm(a, true, t0)), "no item chosen yet")
	require.NoError(t, q.SelectItem(a, Selection{ItemID: 5}, t0))
	require.NoError(t, q.Confirm(a, true, t0.Add(time.Second)))
	acc := *a.AcceptedAt
	require.NoError(t, q.Confirm(a, true, t0.Add(time.Minute)))
	assert.Equal(t, acc, *a.AcceptedAt, "a repeat keeps the first acceptance")
	require.NoError(t, q.SetStatus(a, Completed, "", t0.Add(2*time.Minute)))
	assert.NoError(t, q.Confirm(a, true, t0.Add(3*time.Minute)), "a late repeat after Completed succeeds")
	assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(q.Confirm(a, false, t0)))

	b := mustCreate(t, q, "b", "2", t0)
	require.NoError(t, q.SelectItem(b, Selection{ItemID: 5}, t0))
	require.NoError(t, q.Confirm(b, false, t0))
	assert.Equal(t, Failed, b.Status)
	assert.Equal(t, shared.GiftReasonDeclined, b.Reason)
	assert.NoError(t, q.Confirm(b, false, t0), "a repeated decline is a no-op")
	assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(q.Confirm(b, true, t0)), "consent after failure is refused")
}

func TestChanges_VersionsAreOnePerChange(t *testing.T) {
	t.Parallel()
	q := &Queue{StreamerID: "s"}
	mustCreate(t, q, "a", "1", t0)
	ch := q.Changes()
	require.Len(t, ch, 2)
	assert.Equal(t, int64(1), ch[0].After.Version)
	assert.Equal(t, Status(""), ch[0].From)
	assert.Equal(t, Pending, ch[0].To)
	assert.Equal(t, int64(2), ch[1].After.Version)
	assert.Equal(t, Pending, ch[1].From)
	assert.Equal(t, SelectingItem, ch[1].To)
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	s, err := ParseStatus("completed")
	require.NoError(t, err)
	assert.Equal(t, Completed, s)
	for _, bad := range []string{"", "Done", "Соmpleted", "Completed "} {
		_, err := ParseStatus(bad)
		assert.Equal(t, errs.Invalid, errs.CodeOf(err), bad)
	}
}

func TestScreen_ChatRules(t *testing.T) {
	t.Parallel()
	p := ChatPolicy{BroadcasterID: "b1"}
	ok := ChatMessage{BroadcasterUserID: "b1", Text: "!TwGift  Норинн ", Badges: []string{"subscriber"}}
	name, ignore, _ := p.Screen(ok)
	assert.Equal(t, "Норинн", name)
	assert.Empty(t, ignore)
	for want, m := range map[string]ChatMessage{
		IgnoreOtherChannel:  {BroadcasterUserID: "b2", Text: ok.Text, Badges: ok.Badges},
		IgnoreSharedChat:    {BroadcasterUserID: "b1", SourceBroadcasterUserID: "b2", Text: ok.Text, Badges: ok.Badges},
		IgnoreNotSubscriber: {BroadcasterUserID: "b1", Text: ok.Text, Badges: []string{"premium", "vip"}},
		IgnoreNotCommand:    {BroadcasterUserID: "b1", Text: "!twgold Норинн", Badges: ok.Badges},
		IgnoreBadName:       {BroadcasterUserID: "b1", Text: "!twgift N0rinn", Badges: ok.Badges},
	} {
		_, got, _ := p.Screen(m)
		assert.Equal(t, want, got)
	}
	_, ignore, _ = p.Screen(ChatMessage{BroadcasterUserID: "b1", Text: ok.Text, Badges: []string{"founder"}})
	assert.Empty(t, ignore, "founder counts")
}

// The look-alike of issue 12 asks for a gift no character can receive: refused, with the
// game's reason.
func TestScreen_RefusesALookAlikeNameWithTheReason(t *testing.T) {
	t.Parallel()
	p := ChatPolicy{BroadcasterID: "b1"}
	name, ignore, problem := p.Screen(ChatMessage{BroadcasterUserID: "b1", Text: "!twgift Thr\u0430ll", Badges: []string{"subscriber"}})
	assert.Empty(t, name)
	assert.Equal(t, IgnoreBadName, ignore)
	assert.Equal(t, shared.NameMixedLanguages, problem)
	name, _, _ = p.Screen(ChatMessage{BroadcasterUserID: "b1", Text: "!twgift tHRALL", Badges: []string{"subscriber"}})
	assert.Equal(t, "Thrall", name, "the name as the game shows it")
}
