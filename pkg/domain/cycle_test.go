package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpinCycleID_StablePerBoundaryWhateverTheZone(t *testing.T) {
	t.Parallel()
	b := at("2026-04-04T12:05:00Z")
	id := SpinCycleID(b)
	u, err := uuid.Parse(id)
	require.NoError(t, err)
	assert.Equal(t, uuid.Version(5), u.Version())
	assert.Equal(t, id, SpinCycleID(b.In(time.FixedZone("MSK", 3*3600))))
	// Pinned: stored ids must never change with a refactor.
	assert.Equal(t, "cb5f88d0-52b5-508d-94b1-0f5e1af08d5c", id)
	assert.NotEqual(t, id, SpinCycleID(b.Add(300*time.Second)))
}
