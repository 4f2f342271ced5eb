package tags_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain/nametest"
)

// TestNameTable_WhoReportsMatchLikeTheServer: the Desktop handles a /who report once per
// (cycle, character, online) — two reports whose names the server takes for the same
// character are one, and look-alikes stay apart. Same table as the backend and the addon
// (pkg/domain/testdata/names.json).
func TestNameTable_WhoReportsMatchLikeTheServer(t *testing.T) {
	t.Parallel()
	table, err := nametest.Load()
	require.NoError(t, err)
	key := func(name string) string {
		return tags.Tag{Kind: tags.Who, ID: "cycle-1", Who: &tags.WhoReport{SpinCycleID: "cycle-1", CharacterName: name, Online: true}}.Key()
	}
	for _, p := range table.Same {
		assert.Equal(t, key(p[0]), key(p[1]), "%q = %q", p[0], p[1])
	}
	for _, p := range table.Different {
		assert.NotEqual(t, key(p[0]), key(p[1]), "%q ≠ %q", p[0], p[1])
	}
	for _, c := range table.Names {
		if c.Display != "" {
			assert.Equal(t, key(c.Display), key(c.Input()), "%s is shown as %q", c.Name(), c.Display)
		}
	}
}
