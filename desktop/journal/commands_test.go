package journal

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommands_KeptInOrderAcrossAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desktop.db")
	j, err := Open(path)
	require.NoError(t, err)
	_, err = j.AddCommand(Command{ID: "a1", Kind: "who", Subject: "s1", Call: `MGM_Ping("x")`})
	require.NoError(t, err)
	_, err = j.AddCommand(Command{ID: "b2", Kind: "notify", Subject: "p1", Call: `MGM_Ping("y")`})
	require.NoError(t, err)
	_, err = j.AddCommand(Command{ID: "a1", Kind: "who"})
	assert.Error(t, err, "an id is used once")
	now := time.Now().UTC()
	_, ok, err := j.UpdateCommand("a1", func(c *Command) { c.State, c.Attempts, c.TypedAt = CmdTyped, 1, &now })
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, j.Close())

	j, err = Open(path)
	require.NoError(t, err)
	defer j.Close()
	all, err := j.Commands()
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "a1", all[0].ID)
	assert.Equal(t, CmdTyped, all[0].State)
	assert.Equal(t, 1, all[0].Attempts)
	queued, err := j.Commands(CmdQueued)
	require.NoError(t, err)
	require.Len(t, queued, 1)
	assert.Equal(t, "b2", queued[0].ID)
	_, ok, err = j.UpdateCommand("zz", func(*Command) {})
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestCommands_PruneKeepsWhatIsNotFinished(t *testing.T) {
	j, err := Open(filepath.Join(t.TempDir(), "desktop.db"))
	require.NoError(t, err)
	defer j.Close()
	old := time.Now().Add(-48 * time.Hour)
	j.now = func() time.Time { return old }
	for _, id := range []string{"done", "open"} {
		_, err := j.AddCommand(Command{ID: id, Kind: "ping"})
		require.NoError(t, err)
	}
	_, _, err = j.UpdateCommand("done", func(c *Command) { c.State = CmdAcked })
	require.NoError(t, err)
	j.now = time.Now
	require.NoError(t, j.PruneCommands(24*time.Hour))
	all, err := j.Commands()
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "open", all[0].ID)
	_, ok, _ := j.Command("done")
	assert.False(t, ok)
}
