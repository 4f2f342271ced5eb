package settings

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStore_RoundTripAndKeyIsPrivate(t *testing.T) {
	st := Store{Dir: filepath.Join(t.TempDir(), "cfg")}
	s, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, Defaults(), s)
	s.APIBaseURL = "https://mgm.example"
	s.LogPath = "/tmp/x.txt"
	require.NoError(t, st.Save(s))
	require.NoError(t, st.SaveKey("s3cret"))
	got, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, s, got)
	k, err := st.LoadKey()
	require.NoError(t, err)
	assert.Equal(t, "s3cret", k)
	cfg, err := os.ReadFile(filepath.Join(st.Dir, "desktop.json"))
	require.NoError(t, err)
	assert.NotContains(t, string(cfg), "s3cret")
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(st.Dir, keyFile))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
}

func TestValidate(t *testing.T) {
	s := Defaults()
	s.APIBaseURL = " http://127.0.0.1:8080/ "
	s.Strategy = ""
	v, err := s.Validate()
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080", v.APIBaseURL)
	assert.Equal(t, "postmessage", v.Strategy)
	for _, bad := range []Settings{
		{APIBaseURL: "ftp://x"},
		{APIBaseURL: "http://x", Strategy: "magic"},
		{APIBaseURL: "http://x", ProcessName: `C:\Wow.exe`},
	} {
		_, err := bad.Validate()
		assert.Error(t, err)
	}
}

func TestChatLogPath(t *testing.T) {
	assert.Equal(t, filepath.Join("W", "Logs", "WoWChatLog.txt"), Settings{WoWDir: "W"}.ChatLogPath())
	assert.Equal(t, "o.txt", Settings{WoWDir: "W", LogPath: "o.txt"}.ChatLogPath())
	assert.Equal(t, "", Settings{}.ChatLogPath())
}

func TestGiftsOnByDefault_AndAnOldFileLoadsWithGiftsOn(t *testing.T) {
	assert.True(t, Defaults().GiftsEnabled)
	st := Store{Dir: t.TempDir()}
	// Written before version 2: "giftsEnabled" was always false then (the default).
	require.NoError(t, os.WriteFile(filepath.Join(st.Dir, "desktop.json"),
		[]byte(`{"apiBaseUrl":"https://mgm.example","injectionStrategy":"postmessage","processName":"Wow.exe","giftsEnabled":false}`), 0o600))
	s, err := st.Load()
	require.NoError(t, err)
	assert.True(t, s.GiftsEnabled, "an old file carries no choice")
	assert.Equal(t, "https://mgm.example", s.APIBaseURL)
	assert.Equal(t, CurrentVersion, s.Version)
}

func TestGiftsTurnedOffStaysOff(t *testing.T) {
	st := Store{Dir: t.TempDir()}
	s := Defaults()
	s.GiftsEnabled = false
	require.NoError(t, st.Save(s))
	got, err := st.Load()
	require.NoError(t, err)
	assert.False(t, got.GiftsEnabled)
}

func TestLogCandidates_VirtualStoreForAProgramFilesInstall(t *testing.T) {
	local := filepath.Join("home", "AppData", "Local")
	pf := filepath.Join(string(filepath.Separator)+"C", "Program Files (x86)", "World of Warcraft")
	assert.Equal(t, []string{
		filepath.Join(pf, "Logs", "WoWChatLog.txt"),
		filepath.Join(local, "VirtualStore", pf, "Logs", "WoWChatLog.txt"),
	}, LogCandidates(pf, local))
	games := filepath.Join(string(filepath.Separator)+"Games", "WoW 3.3.5a")
	assert.Equal(t, []string{filepath.Join(games, "Logs", "WoWChatLog.txt")}, LogCandidates(games, local), "not virtualized")
	assert.Len(t, LogCandidates(pf, ""), 1, "no %LOCALAPPDATA%")
	assert.Nil(t, LogCandidates("", local))
	assert.True(t, underProgramFiles(`C:\program files\WoW`), "case-insensitive, Windows separators")
	assert.False(t, underProgramFiles(`D:\Program Files Games\WoW`))
}

func TestPickLog_TheLogWrittenLast(t *testing.T) {
	at := map[string]time.Time{"a": time.Unix(100, 0), "b": time.Unix(200, 0)}
	mod := func(p string) (time.Time, bool) { t, ok := at[p]; return t, ok }
	assert.Equal(t, "b", PickLog([]string{"a", "b"}, mod))
	assert.Equal(t, "a", PickLog([]string{"a", "c"}, mod), "only a exists")
	assert.Equal(t, "c", PickLog([]string{"c", "d"}, mod), "none exists: the first, to wait for")
	assert.Equal(t, "", PickLog(nil, mod))
}
