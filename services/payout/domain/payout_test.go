package domain

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// outcome of asking for from → to.
type outcome int

const (
	moves  outcome = iota // one StatusChanged event, status becomes to
	noop                  // success, no event
	refuse                // 409 terminal_status_change_not_allowed, nothing changes
)

// expectedClient is docs/product.md §5 written out cell by cell (not derived from the code's
// table): rows are from, columns are to, in the order of Statuses.
var expectedClient = map[Status]map[Status]outcome{
	Pending:    {Pending: noop, InProgress: moves, Sent: refuse, Failed: moves, Cancelled: moves, Expired: refuse},
	InProgress: {Pending: moves, InProgress: noop, Sent: moves, Failed: moves, Cancelled: moves, Expired: refuse},
	Sent:       {Pending: refuse, InProgress: refuse, Sent: noop, Failed: refuse, Cancelled: refuse, Expired: refuse},
	Failed:     {Pending: refuse, InProgress: refuse, Sent: refuse, Failed: noop, Cancelled: refuse, Expired: refuse},
	Cancelled:  {Pending: refuse, InProgress: refuse, Sent: refuse, Failed: refuse, Cancelled: noop, Expired: refuse},
	Expired:    {Pending: refuse, InProgress: refuse, Sent: refuse, Failed: refuse, Cancelled: refuse, Expired: noop},
}

// expectedSweep: the sweep may only expire active payouts.
var expectedSweep = map[Status]map[Status]outcome{
	Pending:    {Pending: noop, InProgress: refuse, Sent: refuse, Failed: refuse, Cancelled: refuse, Expired: moves},
	InProgress: {Pending: refuse, InProgress: noop, Sent: refuse, Failed: refuse, Cancelled: refuse, Expired: moves},
	Sent:       {Pending: refuse, InProgress: refuse, Sent: noop, Failed: refuse, Cancelled: refuse, Expired: refuse},
	Failed:     {Pending: refuse, InProgress: refuse, Sent: refuse, Failed: noop, Cancelled: refuse, Expired: refuse},
	Cancelled:  {Pending: refuse, InProgress: refuse, Sent: refuse, Failed: refuse, Cancelled: noop, Expired: refuse},
	Expired:    {Pending: refuse, InProgress: refuse, Sent: refuse, Failed: refuse, Cancelled: refuse, Expired: noop},
}

func newPayout(t *testing.T) *Payout {
	t.Helper()
	p, created, err := Create(nil, Holder{TwitchUserID: "u1"}, "11111111-1111-1111-1111-111111111111",
		NewPayout{SpinCycleID: "c1", TwitchUserID: "u1", TwitchDisplayName: "U1", CharacterName: "Norinn"}, t0)
	require.NoError(t, err)
	require.True(t, created)
	p.ClearChanges()
	return p
}

// payoutIn builds a payout in status s through events, the way the store would.
func payoutIn(t *testing.T, s Status) *Payout {
	t.Helper()
	p := newPayout(t)
	path := map[Status][]Status{
		Pending:    nil,
		InProgress: {InProgress},
		Sent:       {InProgress, Sent},
		Failed:     {Failed},
		Cancelled:  {Cancelled},
	}
	if s == Expired {
		require.True(t, p.Expire(t0.Add(25*time.Hour)))
	} else {
		for _, st := range path[s] {
			require.NoError(t, p.ChangeStatus(st, ByClient, t0))
		}
	}
	require.Equal(t, s, p.Status)
	p.ClearChanges()
	return p
}

func TestTransitionTable_EveryFromEveryToEveryActor(t *testing.T) {
	for _, actor := range []Actor{ByClient, BySweep} {
		want := expectedClient
		if actor == BySweep {
			want = expectedSweep
		}
		require.Len(t, want, len(Statuses))
		for _, from := range Statuses {
			require.Len(t, want[from], len(Statuses), "row %s", from)
			for _, to := range Statuses {
				t.Run(fmt.Sprintf("%s/%s->%s", actor, from, to), func(t *testing.T) {
					p := payoutIn(t, from)
					before := p.Version
					err := p.ChangeStatus(to, actor, t0.Add(time.Minute))
					switch want[from][to] {
					case moves:
						require.NoError(t, err)
						assert.Equal(t, to, p.Status)
						require.Len(t, p.Changes(), 1)
						assert.Equal(t, StatusChanged{From: from, To: to, By: actor.String()}, p.Changes()[0].Data)
						assert.Equal(t, before+1, p.Version)
					case noop:
						require.NoError(t, err)
						assert.Equal(t, from, p.Status)
						assert.Empty(t, p.Changes())
						assert.Equal(t, before, p.Version)
					case refuse:
						require.Error(t, err)
						assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(err))
						assert.Equal(t, from, p.Status)
						assert.Empty(t, p.Changes())
					}
				})
			}
		}
	}
}

func TestCheckTransition_ForbiddenCarriesFromAndTo(t *testing.T) {
	_, err := CheckTransition(Pending, Sent, ByClient)
	pub := errs.Public(err)
	assert.Equal(t, errs.TerminalStatusChange, pub.Code)
	assert.Equal(t, Pending, pub.Details["from"])
	assert.Equal(t, Sent, pub.Details["to"])
}

func TestParseStatus(t *testing.T) {
	for _, s := range Statuses {
		got, err := ParseStatus(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	got, err := ParseStatus("inprogress")
	require.NoError(t, err)
	assert.Equal(t, InProgress, got)
	for _, bad := range []string{"", "Done", "0", "1", " Sent", "Sent ", "ſent", "Pending\x00"} {
		_, err := ParseStatus(bad)
		assert.Equal(t, errs.Invalid, errs.CodeOf(err), "%q", bad)
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"Pending", "inprogress", "SENT", "Expired", "", "ſent", "K\u212aelvin", "3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatus(s)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("ParseStatus(%q): code %s", s, errs.CodeOf(err))
			}
			return
		}
		known := false
		for _, k := range Statuses {
			known = known || k == st
		}
		if !known {
			t.Fatalf("ParseStatus(%q) = unknown status %q", s, st)
		}
		if len(s) != len(st) {
			t.Fatalf("ParseStatus(%q) = %q: only the names themselves, in any ASCII case, parse", s, st)
		}
	})
}

func TestCreate_RefusesWhenUserHasActivePayout(t *testing.T) {
	_, _, err := Create(nil, Holder{TwitchUserID: "u1", ActivePayoutID: "p0"}, "id",
		NewPayout{SpinCycleID: "c2", TwitchUserID: "u1", CharacterName: "Norinn"}, t0)
	assert.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err))
}

// A payout that ended at or after the cycle drew the winner refuses the win: the winner
// was not eligible at the draw, or won another cycle since (a late report for an earlier
// cycle that drew them too). One that ended before the draw does not.
func TestCreate_RefusesWhenAPayoutWasActiveSinceTheDraw(t *testing.T) {
	drawn := t0.Add(time.Minute)
	req := NewPayout{SpinCycleID: "c2", TwitchUserID: "u1", CharacterName: "Norinn", DrawnAt: drawn}
	for _, tc := range []struct {
		name    string
		endedAt time.Time
		refused bool
	}{
		{"ended after the draw", drawn.Add(time.Second), true},
		{"ended at the draw", drawn, true},
		{"ended before the draw", drawn.Add(-time.Microsecond), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Holder{TwitchUserID: "u1", LastEndedPayoutID: "p1", LastEndedAt: tc.endedAt}
			p, created, err := Create(nil, h, "p2", req, drawn.Add(10*time.Second))
			if !tc.refused {
				require.NoError(t, err)
				assert.True(t, created)
				return
			}
			assert.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err))
			assert.Nil(t, p)
			var e *errs.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "p1", e.Details["payoutId"])
		})
	}
	// No draw instant (an older caller): only an active payout counts.
	req.DrawnAt = time.Time{}
	_, _, err := Create(nil, Holder{TwitchUserID: "u1", LastEndedPayoutID: "p1", LastEndedAt: drawn}, "p2", req, drawn)
	assert.NoError(t, err)
	// A replay of the cycle's own payout is still answered, whatever ended since.
	existing := newPayout(t)
	p, created, err := Create(existing, Holder{TwitchUserID: "u1", LastEndedPayoutID: "p1", LastEndedAt: drawn},
		"p3", NewPayout{SpinCycleID: "c1", TwitchUserID: "u1", CharacterName: "Norinn", DrawnAt: t0.Add(-time.Hour)}, drawn)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Same(t, existing, p)
}

// A payout Sent at or after the winner's membership began refuses the win: Sent took
// them out of the pool, and a pool lagging behind that event drew them from the
// membership already paid. A membership begun after the Sent may win.
func TestCreate_RefusesWhenPaidSinceTheEnrollment(t *testing.T) {
	enrolled := t0.Add(time.Minute)
	h := Holder{TwitchUserID: "u1", LastEndedPayoutID: "p1", LastEndedAt: enrolled.Add(time.Second),
		LastSentPayoutID: "p1", LastSentAt: enrolled.Add(time.Second)}
	// Drawn after the Sent (the draw rule alone lets it through), from the old membership.
	req := NewPayout{SpinCycleID: "c2", TwitchUserID: "u1", CharacterName: "Norinn",
		DrawnAt: enrolled.Add(time.Hour), EnrolledAt: enrolled}
	_, _, err := Create(nil, h, "p2", req, enrolled.Add(time.Hour))
	assert.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err))
	var e *errs.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "p1", e.Details["payoutId"])

	// Re-enrolled after the Sent: a new membership, a new win.
	req.EnrolledAt = h.LastSentAt.Add(time.Microsecond)
	_, created, err := Create(nil, h, "p2", req, enrolled.Add(time.Hour))
	require.NoError(t, err)
	assert.True(t, created)

	// A payout that ended otherwise (cancelled) does not consume the membership.
	h.LastSentPayoutID, h.LastSentAt = "", time.Time{}
	req.EnrolledAt = enrolled
	_, _, err = Create(nil, h, "p2", req, enrolled.Add(time.Hour))
	assert.NoError(t, err)
}

func TestCreate_LifetimeCapAllowsTenWinsAndRefusesTheEleventh(t *testing.T) {
	req := NewPayout{SpinCycleID: "c", TwitchUserID: "u1", CharacterName: "Norinn"}
	p, _, err := Create(nil, Holder{TwitchUserID: "u1", LifetimeSentGold: 9_000}, "id", req, t0)
	require.NoError(t, err)
	assert.Equal(t, int64(1_000), p.GoldAmount)
	_, _, err = Create(nil, Holder{TwitchUserID: "u1", LifetimeSentGold: 10_000}, "id", req, t0)
	assert.Equal(t, errs.LifetimeCapReached, errs.CodeOf(err))
	_, _, err = Create(nil, Holder{TwitchUserID: "u1", LifetimeSentGold: 9_500}, "id", req, t0)
	assert.Equal(t, errs.LifetimeCapReached, errs.CodeOf(err), "a win that would exceed the cap is refused")
}

func TestCreate_SameCycleReturnsExisting(t *testing.T) {
	existing := newPayout(t)
	p, created, err := Create(existing, Holder{TwitchUserID: "u1", ActivePayoutID: existing.ID}, "other",
		NewPayout{SpinCycleID: "c1", TwitchUserID: "u1", CharacterName: "Norinn"}, t0)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Same(t, existing, p)
	assert.Empty(t, p.Changes())

	_, _, err = Create(existing, Holder{TwitchUserID: "u2"}, "other",
		NewPayout{SpinCycleID: "c1", TwitchUserID: "u2", CharacterName: "Other"}, t0)
	assert.Equal(t, errs.Conflict, errs.CodeOf(err))
}

func TestCreate_ValidatesInput(t *testing.T) {
	_, _, err := Create(nil, Holder{}, "id", NewPayout{TwitchUserID: "u1", CharacterName: "Norinn"}, t0)
	assert.Equal(t, errs.Invalid, errs.CodeOf(err))
	_, _, err = Create(nil, Holder{}, "id", NewPayout{SpinCycleID: "c", TwitchUserID: "u1", CharacterName: "No rinn"}, t0)
	assert.Equal(t, errs.InvalidCharacterName, errs.CodeOf(err))
}

func TestCreate_IsPendingWithOneCreatedEvent(t *testing.T) {
	p, _, err := Create(nil, Holder{TwitchUserID: "u1"}, "pid",
		NewPayout{SpinCycleID: "c1", TwitchUserID: "u1", TwitchDisplayName: "U1", CharacterName: "  Norinn "}, t0)
	require.NoError(t, err)
	assert.Equal(t, Pending, p.Status)
	assert.Equal(t, "Norinn", p.CharacterName, "trimmed")
	assert.Equal(t, int64(1), p.Version)
	assert.Equal(t, t0, p.CreatedAt)
	require.Len(t, p.Changes(), 1)
	assert.Equal(t, EventCreated, p.Changes()[0].Type())
}

func TestAccept_MatchesNamesCaseInsensitivelyIncludingCyrillic(t *testing.T) {
	p, _, err := Create(nil, Holder{TwitchUserID: "u1"}, "pid",
		NewPayout{SpinCycleID: "c1", TwitchUserID: "u1", CharacterName: "Норинн"}, t0)
	require.NoError(t, err)
	p.ClearChanges()
	require.NoError(t, p.Accept("нОРИНН", t0.Add(time.Minute)))
	require.NotNil(t, p.AcceptedAt)
	assert.Equal(t, t0.Add(time.Minute), *p.AcceptedAt)
	assert.Equal(t, Pending, p.Status, "acceptance never changes the status")
	assert.Len(t, p.Changes(), 1)
}

func TestAccept_MismatchIsRefused(t *testing.T) {
	p := newPayout(t)
	err := p.Accept("Norin", t0)
	assert.Equal(t, errs.CharacterNameMismatch, errs.CodeOf(err))
	assert.Nil(t, p.AcceptedAt)
	assert.Empty(t, p.Changes())
	assert.Equal(t, errs.Invalid, errs.CodeOf(p.Accept("", t0)))
}

func TestAccept_RepeatKeepsOriginalTimeWithoutEvent(t *testing.T) {
	p := newPayout(t)
	require.NoError(t, p.Accept("norinn", t0.Add(time.Minute)))
	p.ClearChanges()
	require.NoError(t, p.Accept("NORINN", t0.Add(time.Hour)))
	assert.Equal(t, t0.Add(time.Minute), *p.AcceptedAt)
	assert.Empty(t, p.Changes())
	// Still a replay after the payout went terminal.
	require.NoError(t, p.ChangeStatus(InProgress, ByClient, t0))
	require.NoError(t, p.ChangeStatus(Sent, ByClient, t0))
	p.ClearChanges()
	require.NoError(t, p.Accept("Norinn", t0.Add(2*time.Hour)))
	assert.Empty(t, p.Changes())
}

func TestAccept_TerminalPayoutIsRefused(t *testing.T) {
	for _, s := range []Status{Sent, Failed, Cancelled, Expired} {
		p := payoutIn(t, s)
		err := p.Accept("Norinn", t0)
		assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(err), "%s", s)
		assert.Nil(t, p.AcceptedAt)
	}
}

func TestAccept_InProgressIsAccepted(t *testing.T) {
	p := payoutIn(t, InProgress)
	require.NoError(t, p.Accept("NORINN", t0))
	assert.Equal(t, InProgress, p.Status)
}

func TestExpire_OnlyActivePayoutsOlderThan24Hours(t *testing.T) {
	p := newPayout(t)
	assert.False(t, p.Expire(t0.Add(23*time.Hour+59*time.Minute)))
	assert.False(t, p.Expire(t0.Add(24*time.Hour)), "exactly 24 h is not older than 24 h")
	assert.True(t, p.Expire(t0.Add(24*time.Hour+time.Second)))
	assert.Equal(t, Expired, p.Status)
	assert.Equal(t, StatusChanged{From: Pending, To: Expired, By: "sweep"}, p.Changes()[0].Data)

	ip := payoutIn(t, InProgress)
	assert.True(t, ip.Expire(t0.Add(48*time.Hour)))

	for _, s := range []Status{Sent, Failed, Cancelled, Expired} {
		q := payoutIn(t, s)
		assert.False(t, q.Expire(t0.Add(100*time.Hour)), "%s", s)
		assert.Equal(t, s, q.Status)
	}
}

func TestMarkAnnounced_Idempotent(t *testing.T) {
	p := payoutIn(t, Sent)
	p.MarkAnnounced("m1", t0)
	p.MarkAnnounced("m1", t0)
	assert.True(t, p.Announced)
	assert.Len(t, p.Changes(), 1)
}

func TestRebuild_FoldsToTheLiveState(t *testing.T) {
	p, _, err := Create(nil, Holder{TwitchUserID: "u1"}, "pid",
		NewPayout{SpinCycleID: "c1", TwitchUserID: "u1", TwitchDisplayName: "U1", CharacterName: "Norinn"}, t0)
	require.NoError(t, err)
	require.NoError(t, p.Accept("norinn", t0.Add(time.Minute)))
	require.NoError(t, p.ChangeStatus(InProgress, ByClient, t0.Add(2*time.Minute)))
	require.NoError(t, p.ChangeStatus(Sent, ByClient, t0.Add(3*time.Minute)))
	p.MarkAnnounced("m", t0.Add(4*time.Minute))
	hist := p.Changes()
	// Through JSON, as the store keeps them.
	for i, e := range hist {
		raw, err := EncodeData(e.Data)
		require.NoError(t, err)
		hist[i].Data, err = DecodeData(e.Type(), raw)
		require.NoError(t, err)
	}
	got, err := Rebuild(hist)
	require.NoError(t, err)
	live := *p
	live.ClearChanges()
	assert.Equal(t, live, *got)

	_, err = Rebuild(hist[1:])
	assert.Error(t, err, "versions must start at 1 and be contiguous")
	_, err = Rebuild(nil)
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))
}

func TestSentGoldDelta_CountsOnlyTheMoveToSent(t *testing.T) {
	p := payoutIn(t, InProgress)
	require.NoError(t, p.ChangeStatus(Sent, ByClient, t0))
	assert.Equal(t, int64(1_000), SentGoldDelta(p, p.Changes()[0]))
	q := payoutIn(t, InProgress)
	require.NoError(t, q.ChangeStatus(Failed, ByClient, t0))
	assert.Equal(t, int64(0), SentGoldDelta(q, q.Changes()[0]))
}
