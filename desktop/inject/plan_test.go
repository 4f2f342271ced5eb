package inject

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPostPlan_KeyThenPauseThenOneCharPerUnit(t *testing.T) {
	scan := func(vk uint32) uint32 { return vk + 1 }
	text, err := CommandText("c1", Ping("n"))
	require.NoError(t, err)
	plan, err := postPlan(CommandStrokes(text), scan)
	require.NoError(t, err)
	require.Len(t, plan, 2+len(text))
	assert.Equal(t, winMsg{msg: wmKeyDown, wparam: 0x91, lparam: 1 | 0x92<<16}, plan[0])
	assert.Equal(t, winMsg{msg: wmKeyUp, wparam: 0x91, lparam: 1 | 0x92<<16 | 1<<30 | 1<<31, pause: true}, plan[1])
	for i, m := range plan[2:] {
		assert.Equal(t, uint32(wmChar), m.msg)
		assert.Equal(t, uintptr(text[i]), m.wparam)
		assert.False(t, m.pause)
	}
}

func TestPostPlan_ProbeIsThePauseKeyAlone(t *testing.T) {
	plan, err := postPlan(ProbeStrokes(), func(uint32) uint32 { return 0 })
	require.NoError(t, err)
	require.Len(t, plan, 2)
	assert.Equal(t, uintptr(0x13), plan[0].wparam)
}

func TestPostPlan_RefusesUnknownKeysAndControlCharacters(t *testing.T) {
	_, err := postPlan([]Stroke{{Key: "F13"}}, func(uint32) uint32 { return 0 })
	assert.Error(t, err)
	_, err = postPlan([]Stroke{{Char: '\n'}}, func(uint32) uint32 { return 0 })
	assert.Error(t, err)
}
