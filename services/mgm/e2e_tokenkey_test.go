package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

// localSetup is setup A of docs/streamer-guide.md without MGM_TOKEN_KEY: an application,
// the WebSocket transport, the one-process mode's own database and data directory.
func localSetup(t *testing.T) (*fakehelix.Server, config.Config) {
	t.Helper()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	f.SetDeviceTiming(time.Minute, 1)
	cfg := config.Defaults()
	cfg.ClientID, cfg.ClientSecret = fakehelix.ClientID, fakehelix.ClientSecret
	cfg.HelixBaseURL, cfg.AuthBaseURL, cfg.EventSubWSURL = f.URL(), f.URL(), f.WebSocketURL()
	cfg.EventSubTransport = "websocket"
	cfg.DatabaseURL = testenv.Postgres(t) // stands for the database ensure-postgres.sh gives
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr, cfg.IngestAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ExtensionSecrets = []string{allinone.DevExtensionSecret}
	cfg.LogLevel = "warn"
	return f, cfg
}

func loginLocal(t *testing.T, f *fakehelix.Server, cfg config.Config, channel string) string {
	t.Helper()
	out := &testenv.Buffer{}
	code := regexp.MustCompile(`code  ([A-Z]{8})`)
	go func() {
		for i := 0; i < 1000; i++ {
			if m := code.FindStringSubmatch(out.String()); m != nil {
				assert.NoError(t, f.Approve(m[1], channel))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	require.NoError(t, twitchCommandIn(context.Background(), cfg, []string{"login"}, out, true), out.String())
	return out.String()
}

// startLocal is `make run` (KeyFile, as main sets it without DATABASE_URL), its logs
// observed.
func startLocal(t *testing.T, cfg config.Config) (*allinone.System, *observer.ObservedLogs, error) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	log := zap.New(zapcore.NewTee(core, testenv.Logger(t).Core()))
	sys, err := allinone.Start(context.Background(), allinone.Options{Config: cfg, DataDir: cfg.DataDir, Log: log, KeyFile: true})
	if err != nil {
		return nil, logs, err
	}
	t.Cleanup(sys.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, sys.WaitReady(ctx))
	return sys, logs, nil
}

// logText is every observed entry, message and fields, as text.
func logText(t *testing.T, logs *observer.ObservedLogs) string {
	t.Helper()
	var b bytes.Buffer
	for _, e := range logs.All() {
		fields, err := json.Marshal(e.ContextMap())
		require.NoError(t, err)
		b.WriteString(e.Message + " " + string(fields) + "\n")
	}
	return b.String()
}

func TestMakeRun_WithoutMGM_TOKEN_KEY_KeepsOneKeyInTheDataDirAcrossStarts(t *testing.T) {
	const channel = "424243"
	f, cfg := localSetup(t)
	path := filepath.Join(cfg.DataDir, tokenstore.KeyFileName)

	// The first `mgm twitch login` makes the key; the login is sealed with it.
	out := loginLocal(t, f, cfg, channel)
	assert.Contains(t, out, "MGM_TOKEN_KEY is unset: made a key for the stored logins in "+path)
	assert.Contains(t, out, "Logged in as user"+channel)
	assert.Contains(t, out, "losing it means logging in again")
	key, err := os.ReadFile(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}

	// `make run` uses it: the stored login reads chat over the WebSocket.
	for start := 1; start <= 2; start++ {
		sys, logs, err := startLocal(t, cfg)
		require.NoError(t, err, "start %d", start)
		assert.Equal(t, path, sys.TokenKeyFile)
		assert.Equal(t, channel, sys.Config.BroadcasterID, "the stored login was read with the kept key")
		testenv.Eventually(t, 30*time.Second, func() bool {
			s := f.WSSessions()
			return len(s) == 1 && s[0].Subscriptions == 1
		}, "start %d: ingest subscribed with the stored login", start)
		note := logs.FilterMessageSnippet("sealed with the key kept in " + path).All()
		require.Len(t, note, 1, "start %d: the log says where the key lives", start)
		assert.Contains(t, note[0].Message, "losing it means logging in again")
		assert.Equal(t, "kept from an earlier start", note[0].ContextMap()["key"])
		assert.NotContains(t, logText(t, logs), string(bytes.TrimSpace(key)), "the key itself is never logged")
		sys.Stop()
		testenv.Eventually(t, 30*time.Second, func() bool { return len(f.WSSessions()) == 0 }, "start %d: stopped", start)
	}
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, key, again, "reused, never rewritten")

	// `mgm twitch status` says where the key lives.
	var status bytes.Buffer
	require.NoError(t, twitchCommandIn(context.Background(), cfg, []string{"status"}, &status, true))
	assert.Contains(t, status.String(), "user"+channel+" ("+channel+")")
	assert.Contains(t, status.String(), "token key: the stored Twitch logins are sealed with the key kept in "+path)
	assert.Contains(t, status.String(), "losing it means logging in again")
	assert.NotContains(t, status.String(), string(bytes.TrimSpace(key)))
}

func TestMakeRun_AnUnusableKeyFileIsRefusedNotReplaced(t *testing.T) {
	t.Parallel()
	_, cfg := localSetup(t)
	path := filepath.Join(cfg.DataDir, tokenstore.KeyFileName)
	short := []byte("c2hvcnQ=\n")
	require.NoError(t, os.WriteFile(path, short, 0o600))

	_, _, err := startLocal(t, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "left as it is")
	var out bytes.Buffer
	err = twitchCommandIn(context.Background(), cfg, []string{"status"}, &out, true)
	assert.ErrorContains(t, err, "unusable")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, short, b)
}

func TestMakeRun_AKeyThatDoesNotOpenTheStoredLoginsIsRefused(t *testing.T) {
	t.Parallel()
	f, cfg := localSetup(t)
	// Logins stored earlier under MGM_TOKEN_KEY, now unset.
	withEnv := cfg
	withEnv.TokenKey = tokenstore.NewKey()
	loginLocal(t, f, withEnv, "424244")

	_, _, err := startLocal(t, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sealed with a key that is not in")
	_, statErr := os.Stat(filepath.Join(cfg.DataDir, tokenstore.KeyFileName))
	assert.ErrorIs(t, statErr, os.ErrNotExist, "the key generated for nothing is removed again")

	// With MGM_TOKEN_KEY back it starts; the key file is not involved.
	sys, _, err := startLocal(t, withEnv)
	require.NoError(t, err)
	assert.Empty(t, sys.TokenKeyFile)
}

// Found trying `make run` from a clean clone with only TWITCH_CLIENT_ID set: nobody had
// logged in, so no channel was known, and the process exited with the notifier's
// "helix-notifier: helix-notifier: TWITCH_BROADCASTER_ID is required" after every other
// service had started. It now refuses at once and says to log in first.
func TestMakeRun_WithAClientIDAndNoLogin_SaysToLogInFirst(t *testing.T) {
	t.Parallel()
	f, cfg := localSetup(t)
	_, _, err := startLocal(t, cfg)
	require.ErrorIs(t, err, allinone.ErrNoChannel)
	assert.Contains(t, err.Error(), "twitch login")
	assert.Empty(t, f.WSSessions(), "nothing connected to Twitch")

	// After the login the same configuration starts and serves the logged-in channel.
	loginLocal(t, f, cfg, "424245")
	sys, _, err := startLocal(t, cfg)
	require.NoError(t, err)
	assert.Equal(t, "424245", sys.Config.BroadcasterID)
}
