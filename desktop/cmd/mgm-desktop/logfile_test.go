package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogFile_AppendsLinesAndMovesABigLogAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "desktop.log")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("x"), maxLog+1), 0o600))
	var echo bytes.Buffer
	l, err := openLog(dir, &echo)
	require.NoError(t, err)
	l.Printf("info %s", "started")
	require.NoError(t, l.Close())
	old, err := os.Stat(path + ".1")
	require.NoError(t, err)
	assert.EqualValues(t, maxLog+1, old.Size(), "the big log moved aside")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(b), " info started\n"), "%q", b)
	assert.Equal(t, string(b), echo.String())

	l, err = openLog(dir, nil) // a small log is appended to
	require.NoError(t, err)
	l.Printf("second")
	require.NoError(t, l.Close())
	b, _ = os.ReadFile(path)
	assert.Equal(t, 2, strings.Count(string(b), "\n"))
}
