package logtail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func texts(b Batch) []string {
	out := []string{}
	for _, l := range b.Lines {
		out = append(out, l.Text)
	}
	return out
}

func poll(t *testing.T, tl *Tailer) Batch {
	t.Helper()
	b, err := tl.Poll()
	require.NoError(t, err)
	return b
}

func TestTailer_FirstRunStartsAtEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "1/2 10:00:00.000  old [MGM_CONFIRM:x]\n")
	tl := New(path, nil)
	b := poll(t, tl)
	assert.Empty(t, b.Lines)
	require.True(t, b.Valid)
	assert.EqualValues(t, 38, b.Pos.Offset)
	appendTo(t, path, "new one\n")
	assert.Equal(t, []string{"new one"}, texts(poll(t, tl)))
}

func TestTailer_FileAppearingLaterIsReadFromStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	tl := New(path, nil)
	b := poll(t, tl)
	assert.False(t, b.Valid)
	appendTo(t, path, "a\nb\n")
	assert.Equal(t, []string{"a", "b"}, texts(poll(t, tl)))
}

func TestTailer_ResumesFromSavedPositionWithoutReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "header line of the log\n")
	tl := New(path, nil)
	poll(t, tl)
	appendTo(t, path, "one\ntwo\n")
	b := poll(t, tl)
	require.Equal(t, []string{"one", "two"}, texts(b))
	saved := b.Lines[0].Pos // handled "one" only, then stopped
	require.NoError(t, tl.Close())

	appendTo(t, path, "three\n")
	tl2 := New(path, &saved)
	assert.Equal(t, []string{"two", "three"}, texts(poll(t, tl2)))
}

func TestTailer_PartialLineWaitsForNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "")
	tl := New(path, nil)
	poll(t, tl)
	appendTo(t, path, "[MGM_ACC")
	b := poll(t, tl)
	assert.Empty(t, b.Lines)
	assert.EqualValues(t, 0, b.Pos.Offset, "position never covers an unfinished line")
	appendTo(t, path, "EPT:1]\r\n")
	assert.Equal(t, []string{"[MGM_ACCEPT:1]"}, texts(poll(t, tl)))
}

func TestTailer_PartialLineIsReReadAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "done\n")
	tl := New(path, &Position{})
	b := poll(t, tl)
	require.Equal(t, []string{"done"}, texts(b))
	appendTo(t, path, "half")
	b = poll(t, tl)
	tl.Close()
	appendTo(t, path, " and rest\n")
	assert.Equal(t, []string{"half and rest"}, texts(poll(t, New(path, &b.Pos))))
}

func TestTailer_UTF8SplitAcrossReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "")
	tl := New(path, nil)
	poll(t, tl)
	word := "Норинн"
	appendTo(t, path, word[:3]) // cuts "о" in half
	assert.Empty(t, poll(t, tl).Lines)
	appendTo(t, path, word[3:]+"\n")
	assert.Equal(t, []string{word}, texts(poll(t, tl)))
}

func TestTailer_TruncatedWhileRunningRestartsAtZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "first line that is long\n")
	tl := New(path, &Position{})
	require.Len(t, poll(t, tl).Lines, 1)
	require.NoError(t, os.Truncate(path, 0))
	appendTo(t, path, "fresh\n")
	b := poll(t, tl)
	assert.Equal(t, []string{"fresh"}, texts(b))
	assert.NotEmpty(t, b.Notes)
}

func TestTailer_RewrittenInPlaceWithLongerContentIsNoticed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "aaaa\n")
	tl := New(path, &Position{})
	require.Len(t, poll(t, tl).Lines, 1)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	require.NoError(t, err)
	_, err = f.WriteString("bbbb\ncccc\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Equal(t, []string{"bbbb", "cccc"}, texts(poll(t, tl)))
}

func TestTailer_TruncatedWhileAwayRestartsAtZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "0123456789\n0123456789\n")
	tl := New(path, &Position{})
	b := poll(t, tl)
	tl.Close()
	// Same file, same head, but shorter than the saved offset.
	require.NoError(t, os.Truncate(path, 11))
	tl2 := New(path, &b.Pos)
	assert.Equal(t, []string{"0123456789"}, texts(poll(t, tl2)))
}

func TestTailer_RotationDrainsOldFileThenReadsNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "WoWChatLog.txt")
	appendTo(t, path, "before\n")
	tl := New(path, &Position{})
	require.Equal(t, []string{"before"}, texts(poll(t, tl)))

	// A writer that still holds the old file adds to it after the rename.
	w, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	require.NoError(t, os.Rename(path, filepath.Join(dir, "WoWChatLog.old.txt")))
	_, err = w.WriteString("late in old\nunfinished")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	appendTo(t, path, "new file\n")

	b := poll(t, tl)
	assert.Equal(t, []string{"late in old", "unfinished", "new file"}, texts(b))
	assert.EqualValues(t, 9, b.Pos.Offset)
	assert.NotEmpty(t, b.Notes)
}

func TestTailer_PathGoneKeepsOldFileOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "WoWChatLog.txt")
	appendTo(t, path, "")
	tl := New(path, &Position{})
	poll(t, tl)
	w, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, os.Remove(path))
	_, err = w.WriteString("still written\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"still written"}, texts(poll(t, tl)))
}

func TestTailer_ReplacedWhileAwayIsReadFromStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "WoWChatLog.txt")
	appendTo(t, path, "1/1 00:00:00.000  old file with some text\n")
	tl := New(path, &Position{})
	b := poll(t, tl)
	tl.Close()
	require.NoError(t, os.Rename(path, filepath.Join(dir, "old.txt")))
	appendTo(t, path, "1/2 00:00:00.000  new file that is even longer than before\n")
	assert.Equal(t, []string{"1/2 00:00:00.000  new file that is even longer than before"}, texts(poll(t, New(path, &b.Pos))))
}

func TestTailer_SameSysIDButDifferentHeadIsANewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "1/2 00:00:00.000  reused inode\nsecond\n")
	tl := New(path, &Position{})
	b := poll(t, tl)
	tl.Close()
	saved := b.Pos
	saved.ID.Head = headSum([]byte("something else"))
	assert.Len(t, poll(t, New(path, &saved)).Lines, 2)
}

func TestTailer_HeadFallbackWhenSysIDMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "1/2 00:00:00.000  a\n")
	tl := New(path, &Position{})
	b := poll(t, tl)
	tl.Close()
	appendTo(t, path, "b\n")
	saved := b.Pos
	saved.ID.Sys = "" // a platform that cannot say
	assert.Equal(t, []string{"b"}, texts(poll(t, New(path, &saved))))
}

func TestTailer_MaxBatchSplitsABacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	for i := 0; i < 100; i++ {
		appendTo(t, path, "0123456789012345678901234567890123456789\n")
	}
	tl := New(path, &Position{})
	tl.MaxBatch = 100
	first := poll(t, tl)
	assert.Less(t, len(first.Lines), 100)
	n := len(first.Lines)
	for i := 0; i < 1000 && n < 100; i++ {
		n += len(poll(t, tl).Lines)
	}
	assert.Equal(t, 100, n)
}

func TestFollow_OffersAFailedBatchAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "WoWChatLog.txt")
	appendTo(t, path, "x\n")
	tl := New(path, &Position{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	calls := 0
	var got []string
	err := tl.Follow(ctx, 5*time.Millisecond, func(b Batch) error {
		calls++
		if calls == 1 {
			return errors.New("disk full")
		}
		got = append(got, texts(b)...)
		if len(got) > 0 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []string{"x"}, got)
}
