package adapters

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/sharedstate"
)

// The broadcast's state is the state route's body (docs/product.md §6): the same
// fields under the same names, whatever the phase or last result.
func TestPanelState_IsTheRoutesBody(t *testing.T) {
	t.Parallel()
	boundary := time.Date(2030, 1, 1, 12, 5, 0, 0, time.UTC)
	drawn := boundary.Add(50 * time.Millisecond)
	pool := &events.PoolStats{Version: 1, PoolSize: 3}
	for _, snap := range []*events.RouletteSnapshot{
		nil,
		{Version: 1, SpinIntervalSeconds: 60, Current: &events.Cycle{SpinCycleID: "c1", BoundaryAt: boundary, DrawnAt: &drawn, CharacterName: "Norinn"}},
		{Version: 2, LastSpin: &events.Cycle{SpinCycleID: "c0", BoundaryAt: boundary, CharacterName: "Норинн", Outcome: events.OutcomeWinner}},
		{Version: 3, LastSpin: &events.Cycle{SpinCycleID: "c0", BoundaryAt: boundary, CharacterName: "Norinn", Outcome: events.OutcomeOffline}},
	} {
		st := sharedstate.Compute(boundary.Add(3*time.Second), 300*time.Second, pool, snap)
		route, err := json.Marshal(st)
		require.NoError(t, err)
		push, err := json.Marshal(panelState(st))
		require.NoError(t, err)
		assert.JSONEq(t, string(route), string(push))
	}
}
