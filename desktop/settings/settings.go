// Package settings keeps the Desktop's settings in the user's config directory: a JSON
// file for the plain ones, and the secrets apart — the API key and the bridge's pairing
// key, each sealed with DPAPI on Windows, a 0600 file elsewhere — so no secret sits in the
// readable config.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mimiron/mgm/desktop/inject"
)

// Settings are what the streamer configures.
type Settings struct {
	APIBaseURL   string `json:"apiBaseUrl"`
	WoWDir       string `json:"wowDir"`
	LogPath      string `json:"logPath,omitempty"` // overrides <WoWDir>/Logs/WoWChatLog.txt
	Strategy     string `json:"injectionStrategy"` // postmessage | sendinput
	ProcessName  string `json:"processName"`
	GiftsEnabled bool   `json:"giftsEnabled"` // drive !twgift: poll gift requests, deliver gift tags (on by default)
	// Version is the settings file's format (CurrentVersion when written by this build).
	Version int `json:"version"`
}

// CurrentVersion is the format Save writes. Version 2: gifts on by default. Files of
// version 1 (no "version") always held "giftsEnabled": false, written while the gift
// routes did not exist yet, so it says nothing about the streamer's choice and loads as
// on.
const CurrentVersion = 2

// Defaults are the settings of a fresh install.
func Defaults() Settings {
	return Settings{
		APIBaseURL:   "http://127.0.0.1:8080",
		WoWDir:       "", // found from the running game (app: the injector's Locator)
		Strategy:     inject.StrategyPostMessage,
		ProcessName:  "Wow.exe",
		GiftsEnabled: true,
		Version:      CurrentVersion,
	}
}

// LogCandidates are the places where the chat log of a client installed in wowDir can
// be, in order: <wowDir>\Logs\WoWChatLog.txt, and for an install under Program Files its
// per-user copy under localAppData (%LOCALAPPDATA%). A program that is not elevated and
// has no manifest declaring its execution level cannot write under Program Files; UAC
// file virtualization redirects its writes to %LOCALAPPDATA%\VirtualStore\<the path
// without its drive> — "virtualization: a feature of User Account Control (UAC) that
// allows per-machine file and registry operations to target virtual, per-user file and
// registry locations" (https://learn.microsoft.com/en-us/windows/win32/secgloss/v-gly);
// the resulting path, e.g. %LOCALAPPDATA%\VirtualStore\Program Files (x86)\<app>, as Tera
// Term documents for its own log (TeraTermProject/teraterm doc/en/html/usage/tips/
// virtual_store.html). Whether the 3.3.5a Wow.exe is virtualized (it depends on its
// manifest) is unknown, so both places are watched.
func LogCandidates(wowDir, localAppData string) []string {
	if wowDir == "" {
		return nil
	}
	out := []string{filepath.Join(wowDir, "Logs", "WoWChatLog.txt")}
	if localAppData != "" && underProgramFiles(wowDir) {
		rel := wowDir[len(filepath.VolumeName(wowDir)):]
		out = append(out, filepath.Join(localAppData, "VirtualStore", rel, "Logs", "WoWChatLog.txt"))
	}
	return out
}

// underProgramFiles: a folder inside Program Files or Program Files (x86), the folders UAC
// virtualizes for a game (it also virtualizes the Windows folder and ProgramData, where
// nobody installs WoW).
func underProgramFiles(dir string) bool {
	for _, part := range strings.FieldsFunc(dir, func(r rune) bool { return r == '\\' || r == '/' }) {
		if strings.EqualFold(part, "Program Files") || strings.EqualFold(part, "Program Files (x86)") {
			return true
		}
	}
	return false
}

// PickLog is the candidate to follow: the existing one written last, else the first.
// modTime reports a file's modification time, ok false when it does not exist.
func PickLog(cands []string, modTime func(string) (time.Time, bool)) string {
	best, bestAt := "", time.Time{}
	for _, c := range cands {
		if at, ok := modTime(c); ok && (best == "" || at.After(bestAt)) {
			best, bestAt = c, at
		}
	}
	if best == "" && len(cands) > 0 {
		return cands[0]
	}
	return best
}

// ChatLogPath is the log the bridge follows when the settings name it: the log path, or
// the first candidate of the WoW folder ("" when neither is set).
func (s Settings) ChatLogPath() string {
	if s.LogPath != "" {
		return s.LogPath
	}
	if s.WoWDir == "" {
		return ""
	}
	return filepath.Join(s.WoWDir, "Logs", "WoWChatLog.txt")
}

// Validate checks and normalizes what the streamer typed.
func (s Settings) Validate() (Settings, error) {
	s.APIBaseURL = strings.TrimRight(strings.TrimSpace(s.APIBaseURL), "/")
	s.WoWDir = strings.TrimSpace(s.WoWDir)
	s.LogPath = strings.TrimSpace(s.LogPath)
	s.ProcessName = strings.TrimSpace(s.ProcessName)
	s.Version = CurrentVersion
	u, err := url.Parse(s.APIBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, fmt.Errorf("API base URL must look like https://host[:port]")
	}
	switch s.Strategy {
	case "":
		s.Strategy = inject.StrategyPostMessage
	case inject.StrategyPostMessage, inject.StrategySendInput:
	default:
		return s, fmt.Errorf("injection strategy must be %s or %s", inject.StrategyPostMessage, inject.StrategySendInput)
	}
	if s.ProcessName == "" {
		s.ProcessName = "Wow.exe"
	}
	if strings.ContainsAny(s.ProcessName, `/\`) {
		return s, fmt.Errorf("process name is a file name such as Wow.exe, not a path")
	}
	return s, nil
}

// Store reads and writes the settings in one directory.
type Store struct {
	Dir string
}

// DefaultDir is <user config dir>/MimironsGoldOMatic.
func DefaultDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "MimironsGoldOMatic"), nil
}

func (st Store) path() string { return filepath.Join(st.Dir, "desktop.json") }

// Load reads the settings; a missing file gives the defaults.
func (st Store) Load() (Settings, error) {
	s := Defaults()
	b, err := os.ReadFile(st.path())
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.Version = 0 // a file without "version" is version 1
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read %s: %w", st.path(), err)
	}
	if s.Version < 2 {
		s.GiftsEnabled = true
	}
	s.Version = CurrentVersion
	return s, nil
}

// Save writes the settings atomically.
func (st Store) Save(s Settings) error {
	s.Version = CurrentVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(st.path(), b, 0o600)
}

// LoadKey reads the API key, "" when none is stored.
func (st Store) LoadKey() (string, error) {
	b, err := os.ReadFile(filepath.Join(st.Dir, keyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	plain, err := unseal(b)
	if err != nil {
		return "", fmt.Errorf("read API key: %w", err)
	}
	return string(plain), nil
}

// SaveKey stores the API key sealed.
func (st Store) SaveKey(key string) error {
	sealed, err := seal([]byte(key))
	if err != nil {
		return fmt.Errorf("seal API key: %w", err)
	}
	return writeFile(filepath.Join(st.Dir, keyFile), sealed, 0o600)
}

// Bridge is what the Desktop keeps of its pairing with the addon (docs/product.md §9):
// the shared key that signs the addon's tags, and the streamer's character as the
// bridge self-test saw it.
type Bridge struct {
	Key  []byte `json:"key,omitempty"`
	Self string `json:"self,omitempty"`
}

// LoadBridge reads the pairing; the zero Bridge when none is stored.
func (st Store) LoadBridge() (Bridge, error) {
	var b Bridge
	raw, err := os.ReadFile(filepath.Join(st.Dir, bridgeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return b, err
	}
	plain, err := unseal(raw)
	if err != nil {
		return b, fmt.Errorf("read the bridge pairing: %w", err)
	}
	if err := json.Unmarshal(plain, &b); err != nil {
		return Bridge{}, fmt.Errorf("read the bridge pairing: %w", err)
	}
	return b, nil
}

// SaveBridge stores the pairing sealed.
func (st Store) SaveBridge(b Bridge) error {
	plain, err := json.Marshal(b)
	if err != nil {
		return err
	}
	sealed, err := seal(plain)
	if err != nil {
		return fmt.Errorf("seal the bridge pairing: %w", err)
	}
	return writeFile(filepath.Join(st.Dir, bridgeFile), sealed, 0o600)
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil && filepath.Separator != '\\' {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
