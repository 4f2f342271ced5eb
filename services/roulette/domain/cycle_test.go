package domain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
)

const iv = 300 * time.Second

var b0 = time.Date(2026, 4, 4, 12, 5, 0, 0, time.UTC)

func drawn(t *testing.T) Cycle {
	t.Helper()
	c := NewCycle(b0, iv)
	require.NoError(t, c.RecordDraw(&Candidate{TwitchUserID: "u1", TwitchDisplayName: "Viewer", CharacterName: "Норинн"}, 3, b0))
	return c
}

func TestDueBoundary_NeverEarlyAndNotLateBeyondWindow(t *testing.T) {
	t.Parallel()
	b, ok := DueBoundary(b0.Add(-time.Nanosecond), iv)
	assert.Equal(t, b0.Add(-iv), b, "just before a boundary the previous one is the latest")
	assert.False(t, ok, "and its window is long gone")

	b, ok = DueBoundary(b0, iv)
	assert.Equal(t, b0, b)
	assert.True(t, ok)
	_, ok = DueBoundary(b0.Add(30*time.Second), iv)
	assert.True(t, ok)
	_, ok = DueBoundary(b0.Add(30*time.Second+time.Millisecond), iv)
	assert.False(t, ok)

	assert.Equal(t, time.Second, DrawWindow(2*time.Second), "short intervals draw within half the interval")
}

func TestRecordDraw_RefusesEarlyAndSecondDraw(t *testing.T) {
	t.Parallel()
	c := NewCycle(b0, iv)
	assert.True(t, errs.Has(c.RecordDraw(&Candidate{CharacterName: "Abc"}, 1, b0.Add(-time.Millisecond)), errs.Conflict))
	require.NoError(t, c.RecordDraw(&Candidate{CharacterName: "Abc"}, 1, b0))
	assert.Equal(t, StateAwaiting, c.State)
	assert.True(t, errs.Has(c.RecordDraw(&Candidate{CharacterName: "Other"}, 1, b0), errs.Conflict))
	assert.Equal(t, "Abc", c.Candidate.CharacterName)
}

func TestRecordDraw_NobodyEligibleIsEmpty(t *testing.T) {
	t.Parallel()
	c := NewCycle(b0, iv)
	require.NoError(t, c.RecordDraw(nil, 0, b0))
	assert.Equal(t, StateEmpty, c.State)
	assert.Nil(t, c.Candidate)
	_, err := c.Judge(Report{SpinCycleID: c.ID, CharacterName: "Abc", Online: true}, b0)
	assert.True(t, errs.Has(err, errs.OutOfSequence))
}

func TestJudge_GraceAcrossRollover(t *testing.T) {
	t.Parallel()
	c := drawn(t)
	next := b0.Add(iv)
	v, err := c.Judge(Report{CharacterName: "норинн", Online: true}, next.Add(29*time.Second))
	require.NoError(t, err)
	assert.Equal(t, CreatePayout, v)
	v, err = c.Judge(Report{CharacterName: "НОРИНН"}, next.Add(30*time.Second))
	require.NoError(t, err, "the deadline itself is still in time")
	assert.Equal(t, RecordOffline, v)
	_, err = c.Judge(Report{CharacterName: "Норинн", Online: true}, next.Add(31*time.Second))
	assert.True(t, errs.Has(err, errs.OutOfSequence))
}

func TestJudge_NameMustMatchOnlineAndOffline(t *testing.T) {
	t.Parallel()
	c := drawn(t)
	for _, online := range []bool{true, false} {
		_, err := c.Judge(Report{CharacterName: "Норин", Online: online}, b0)
		assert.True(t, errs.Has(err, errs.Invalid), "online=%v", online)
	}
}

func TestJudge_RepeatAndContradiction(t *testing.T) {
	t.Parallel()
	c := drawn(t)
	require.NoError(t, c.CompleteWinner("p1", b0.Add(time.Minute)))
	v, err := c.Judge(Report{CharacterName: "Норинн", Online: true}, b0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, Repeat, v, "a repeat answers again, even past the deadline")
	_, err = c.Judge(Report{CharacterName: "Норинн"}, b0.Add(time.Minute))
	assert.True(t, errs.Has(err, errs.OutOfSequence))

	off := drawn(t)
	require.NoError(t, off.CompleteOffline(b0))
	v, err = off.Judge(Report{CharacterName: "Норинн"}, b0)
	require.NoError(t, err)
	assert.Equal(t, Repeat, v)
	_, err = off.Judge(Report{CharacterName: "Норинн", Online: true}, b0)
	assert.True(t, errs.Has(err, errs.OutOfSequence), "online after offline creates no payout")
}

func TestExpire_OnlyAfterDeadlineAndOnlyAwaiting(t *testing.T) {
	t.Parallel()
	c := drawn(t)
	assert.False(t, c.Expire(c.Deadline))
	assert.True(t, c.Expire(c.Deadline.Add(time.Microsecond)))
	assert.Equal(t, NoReport, c.Outcome)
	assert.False(t, c.Expire(c.Deadline.Add(time.Hour)), "idempotent")
	_, err := c.Judge(Report{CharacterName: "Норинн", Online: true}, c.Deadline)
	assert.True(t, errs.Has(err, errs.OutOfSequence))

	e := NewCycle(b0, iv)
	require.NoError(t, e.RecordDraw(nil, 0, b0))
	assert.False(t, e.Expire(b0.Add(time.Hour)), "a cycle with no candidate has no report to miss")
}

func TestParseReport(t *testing.T) {
	t.Parallel()
	id := NewCycle(b0, iv).ID
	r, err := ParseReport(1, " "+id+" ", " Норинн ", true)
	require.NoError(t, err)
	assert.Equal(t, Report{SpinCycleID: id, CharacterName: "Норинн", Online: true}, r)

	for name, f := range map[string]func() error{
		"schema 2":  func() error { _, err := ParseReport(2, id, "Abc", true); return err },
		"schema 0":  func() error { _, err := ParseReport(0, id, "Abc", true); return err },
		"bad id":    func() error { _, err := ParseReport(1, "cycle-1", "Abc", true); return err },
		"no name":   func() error { _, err := ParseReport(1, id, "  ", true); return err },
		"long name": func() error { _, err := ParseReport(1, id, string(make([]rune, 65)), true); return err },
	} {
		assert.True(t, errs.Has(f(), errs.Invalid), name)
	}
}
