package journal

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/logtail"
	"github.com/mimiron/mgm/desktop/tags"
)

func open(t *testing.T, path string) *Journal {
	t.Helper()
	j, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	return j
}

// found is the tag of a line as the Desktop reads it (tags.Read; signatures are the
// app's business, so they are not checked here).
func found(lines ...string) []Found {
	var out []Found
	for _, line := range lines {
		if l, err := tags.Read("1/12 21:04:05.123  " + line); err == nil {
			out = append(out, Found{Tag: l.Tag, Line: line})
		}
	}
	return out
}

func TestCommit_TagAndPositionSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := open(t, path)
	pos := &logtail.Position{ID: logtail.FileID{Sys: "1:2"}, Offset: 42}
	created, err := j.Commit("log", pos, found("[MGM_CONFIRM:p1]"), nil)
	require.NoError(t, err)
	require.Len(t, created, 1)
	require.NoError(t, j.Close())

	j2 := open(t, path)
	got, err := j2.Position("log")
	require.NoError(t, err)
	assert.Equal(t, pos, got)
	p, err := j2.Pending()
	require.NoError(t, err)
	require.Len(t, p, 1)
	assert.Equal(t, "MGM_CONFIRM:p1", p[0].Key)
	other, err := j2.Position("other log")
	require.NoError(t, err)
	assert.Nil(t, other, "each log path has its own position")
}

func TestCommit_SameTagTwiceIsRecordedOnce(t *testing.T) {
	j := open(t, filepath.Join(t.TempDir(), "j.db"))
	// A whisper to oneself is logged as sent and as received.
	c1, err := j.Commit("log", nil, append(found("To Me: [MGM_ACCEPT:p1]"), found("Me whispers: [MGM_ACCEPT:p1]")...), nil)
	require.NoError(t, err)
	assert.Len(t, c1, 1)
	require.NoError(t, j.Finish("MGM_ACCEPT:p1", StateDone, ""))
	c2, err := j.Commit("log", nil, found("[MGM_ACCEPT:p1]"), nil)
	require.NoError(t, err)
	assert.Empty(t, c2, "a tag seen after delivery is not delivered again")
	p, _ := j.Pending()
	assert.Empty(t, p)
}

func TestCommit_LocalKindsAreDoneAtOnce(t *testing.T) {
	j := open(t, filepath.Join(t.TempDir(), "j.db"))
	c, err := j.Commit("log", nil, found("[MGM_PONG:n1]", "[MGM_CONFIRM:p]"), func(k tags.Kind) bool { return k == tags.Pong })
	require.NoError(t, err)
	require.Len(t, c, 2)
	assert.Equal(t, StateDone, c[0].State)
	p, _ := j.Pending()
	require.Len(t, p, 1)
	assert.Equal(t, tags.Confirm, p[0].Kind)
}

func TestCommit_SplitItemListIsRecordedWhenWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := open(t, path)
	c, err := j.Commit("log", nil, found(`[MGM_ITEMS:g:1/2][{"itemId":1}]`), nil)
	require.NoError(t, err)
	assert.Empty(t, c)
	require.NoError(t, j.Close())
	j = open(t, path) // the piece is durable
	c, err = j.Commit("log", nil, found(`[MGM_ITEMS:g:2/2][{"itemId":2}]`), nil)
	require.NoError(t, err)
	require.Len(t, c, 1)
	assert.Equal(t, `[{"itemId":1},{"itemId":2}]`, string(c[0].Payload))
}

func TestFinish_LeavesQueueAndKeepsRecord(t *testing.T) {
	j := open(t, filepath.Join(t.TempDir(), "j.db"))
	_, err := j.Commit("log", nil, found("[MGM_CONFIRM:a]", "[MGM_CONFIRM:b]"), nil)
	require.NoError(t, err)
	require.NoError(t, j.Attempted("MGM_CONFIRM:a", "connection refused"))
	require.NoError(t, j.Finish("MGM_CONFIRM:b", StateFailed, "HTTP 404"))
	p, _ := j.Pending()
	require.Len(t, p, 1)
	assert.Equal(t, 1, p[0].Attempts)
	assert.Equal(t, "connection refused", p[0].LastError)
	r, ok, err := j.Get("MGM_CONFIRM:b")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, StateFailed, r.State)
	rec, _ := j.Recent(10)
	assert.Len(t, rec, 2)
	assert.Equal(t, "MGM_CONFIRM:b", rec[0].Key)
}

func TestTypedAndNames(t *testing.T) {
	j := open(t, filepath.Join(t.TempDir(), "j.db"))
	ok, _ := j.Typed("who", "c1")
	assert.False(t, ok)
	require.NoError(t, j.MarkTyped("who", "c1"))
	ok, _ = j.Typed("who", "c1")
	assert.True(t, ok)
	require.NoError(t, j.MarkTyped("who", "c2"))
	require.NoError(t, j.MarkTyped("whom", "x"))
	require.NoError(t, j.MarkTyped("gift-drop", "MGM_GIFT_ACCEPT:g1"))
	ids, err := j.TypedIDs("who")
	require.NoError(t, err)
	assert.Equal(t, []string{"c1", "c2"}, ids, "only that kind of mark")
	ids, _ = j.TypedIDs("gift-drop")
	assert.Equal(t, []string{"MGM_GIFT_ACCEPT:g1"}, ids)
	require.NoError(t, j.SetName("p", "Норинн"))
	n, _ := j.Name("p")
	assert.Equal(t, "Норинн", n)
}

func TestPrune_KeepsUndelivered(t *testing.T) {
	j := open(t, filepath.Join(t.TempDir(), "j.db"))
	_, err := j.Commit("log", nil, found("[MGM_CONFIRM:a]", "[MGM_CONFIRM:b]"), nil)
	require.NoError(t, err)
	require.NoError(t, j.Finish("MGM_CONFIRM:a", StateDone, ""))
	require.NoError(t, j.MarkTyped("who", "c"))
	j.now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	require.NoError(t, j.Prune(24*time.Hour))
	rec, _ := j.Recent(10)
	require.Len(t, rec, 1)
	assert.Equal(t, "MGM_CONFIRM:b", rec[0].Key)
	ok, _ := j.Typed("who", "c")
	assert.False(t, ok)
}
