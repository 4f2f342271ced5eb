package state

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/sharedstate"
)

const interval = 300 * time.Second

var boundary = time.Date(2030, 1, 1, 12, 5, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func cycle(id string, at time.Time, name, outcome string) *events.Cycle {
	c := &events.Cycle{SpinCycleID: id, BoundaryAt: at, VerifyDeadline: domain.VerifyDeadline(at, interval), CharacterName: name, Outcome: outcome}
	if name != "" {
		c.DrawnAt = ptr(at.Add(50 * time.Millisecond))
	}
	return c
}

func TestAppendJSON_MatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	now := boundary.Add(3*time.Second + 123456789*time.Nanosecond)
	names := []string{"Norinn", "Норинн", `a"b\c`, "<x>&", "tab\there\n", "\x01\x1f", "bad\xffutf8", "line\u2028sep\u2029", ""}
	for _, name := range names {
		for _, snap := range []*events.RouletteSnapshot{
			nil,
			{Version: 1, SpinIntervalSeconds: 60, Current: cycle("c1", boundary, name, ""), LastSpin: cycle(name, boundary, name, events.OutcomeWinner)},
			{Version: 1, LastSpin: cycle("c0", boundary, name, events.OutcomeNoReport)},
		} {
			st := sharedstate.Compute(now, interval, &events.PoolStats{PoolSize: 12}, snap)
			want, err := json.Marshal(st)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(AppendJSON(nil, st)), "name %q", name)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"Norinn", "Норинн", "\x00", "\xff", "\u2028", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}
