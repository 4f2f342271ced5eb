package wowclient_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/domain/nametest"
	"github.com/mimiron/mgm/pkg/wowclient"
)

// addonName asks the real addon (Util.lua, loaded by the headless client) what it makes
// of a name: the game's form, or the reason it refuses it.
func addonName(t testing.TB, c *wowclient.Client, name string) (display, reason string) {
	t.Helper()
	require.NoError(t, c.Call("MGM_TestCheckName", name))
	out, err := c.Eval("MGM_TEST_NAME")
	require.NoError(t, err)
	m := out.(map[string]any)
	display, _ = m["display"].(string)
	reason, _ = m["reason"].(string)
	return display, reason
}

func addonSame(t testing.TB, c *wowclient.Client, a, b string) bool {
	t.Helper()
	require.NoError(t, c.Call("MGM_TestSameName", a, b))
	out, err := c.Eval("MGM_TEST_SAME")
	require.NoError(t, err)
	return out.(bool)
}

func newNameClient(t testing.TB) *wowclient.Client {
	c := newClient(t)
	require.NoError(t, c.Run(`
		function MGM_TestCheckName(s)
			local display, reason = MimironsGoldOMatic.CheckName(s)
			MGM_TEST_NAME = { display = display, reason = reason }
		end
		function MGM_TestSameName(a, b) MGM_TEST_SAME = MimironsGoldOMatic.SameName(a, b) end`))
	return c
}

// TestNameTable_AddonAgreesWithServer runs the table the backend is tested against
// (pkg/domain/testdata/names.json) through the addon's own name rules and matching.
func TestNameTable_AddonAgreesWithServer(t *testing.T) {
	t.Parallel()
	table, err := nametest.Load()
	require.NoError(t, err)
	c := newNameClient(t)
	for _, tc := range table.Names {
		display, reason := addonName(t, c, tc.Input())
		assert.Equal(t, tc.Reason, reason, "%s (%s)", tc.Name(), tc.Note)
		assert.Equal(t, tc.Display, display, "%s (%s)", tc.Name(), tc.Note)
	}
	for _, p := range table.Same {
		assert.True(t, addonSame(t, c, p[0], p[1]), "%q = %q", p[0], p[1])
	}
	for _, p := range table.Different {
		assert.False(t, addonSame(t, c, p[0], p[1]), "%q ≠ %q", p[0], p[1])
	}
}

// The look-alike regression on the addon's side: a /who for the Cyrillic-а "Thrаll" is
// refused before the game is asked (the game could never have such a character), while
// the Latin "Thrall" is asked and found.
func TestWho_RefusesTheLookAlikeOfAnOnlineName(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Thrall")
	runWho(t, c, spinID, "Thr\u0430ll")
	c.Advance(2 * time.Second)
	assert.Empty(t, c.WhoQueries(), "no /who for a name no character can have")
	assert.Empty(t, tagLines(c))

	runWho(t, c, spinID2, "thrall")
	c.Advance(2 * time.Second)
	tags := tagLines(c)
	require.Len(t, tags, 1)
	assert.Contains(t, tags[0], `"online":true`)
}

// FuzzNameRules_AddonAgreesWithServer: any input gets the same verdict, the same game
// form and the same comparison key from the addon as from pkg/domain.
func FuzzNameRules_AddonAgreesWithServer(f *testing.F) {
	table, err := nametest.Load()
	require.NoError(f, err)
	for _, tc := range table.Names {
		f.Add(tc.Input())
	}
	c := newNameClient(f)
	f.Fuzz(func(t *testing.T, s string) {
		want, problem := domain.CheckCharacterName(s)
		display, reason := addonName(t, c, s)
		require.Equal(t, string(problem), reason, "%q", s)
		require.Equal(t, want.String(), display, "%q", s)
		if problem == "" {
			require.True(t, addonSame(t, c, s, want.String()), "%q vs %q", s, want)
		}
	})
}
