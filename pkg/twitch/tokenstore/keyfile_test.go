package tokenstore_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

func TestKeyFile_TheFirstCallCreatesAPrivateKeyAndLaterCallsReuseIt(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data") // not there yet
	path := filepath.Join(dir, tokenstore.KeyFileName)

	first, err := tokenstore.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	assert.True(t, first.Created)
	assert.Equal(t, path, first.Path)
	assert.False(t, first.Exposed)
	raw, err := base64.StdEncoding.DecodeString(first.Key)
	require.NoError(t, err)
	assert.Len(t, raw, 32)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, first.Key+"\n", string(b))
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	again, err := tokenstore.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	assert.False(t, again.Created)
	assert.Equal(t, first.Key, again.Key)

	// The key opens a store like MGM_TOKEN_KEY.
	_, err = tokenstore.ParseKey(again.Key)
	assert.NoError(t, err)
}

func TestKeyFile_AnUnusableFileIsRefusedAndLeftAsItIs(t *testing.T) {
	t.Parallel()
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	for name, content := range map[string]string{
		"garbage":   "this is not a key\n",
		"short":     short + "\n",
		"empty":     "",
		"truncated": tokenstore.NewKey()[:20],
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), tokenstore.KeyFileName)
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			_, err := tokenstore.LoadOrCreateKeyFile(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), "left as it is")
			assert.Contains(t, err.Error(), "mgm twitch forget")
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, content, string(b), "never replaced")
		})
	}
}

func TestKeyFile_ADirectoryInItsPlaceIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), tokenstore.KeyFileName)
	require.NoError(t, os.Mkdir(path, 0o700))
	_, err := tokenstore.LoadOrCreateKeyFile(path)
	assert.ErrorContains(t, err, "not a regular file")
}

func TestKeyFile_StartsAtOnceAgreeOnOneKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), tokenstore.KeyFileName)
	var wg sync.WaitGroup
	keys := make([]tokenstore.KeyFile, 8)
	errs := make([]error, 8)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = tokenstore.LoadOrCreateKeyFile(path)
		}()
	}
	wg.Wait()
	created := 0
	for i, k := range keys {
		require.NoError(t, errs[i])
		assert.Equal(t, keys[0].Key, k.Key)
		if k.Created {
			created++
		}
	}
	assert.Equal(t, 1, created)
}

func TestKeyFile_OneOthersCanReadIsReportedExposed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), tokenstore.KeyFileName)
	require.NoError(t, os.WriteFile(path, []byte(tokenstore.NewKey()), 0o644))
	require.NoError(t, os.Chmod(path, 0o644))
	kf, err := tokenstore.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	assert.True(t, kf.Exposed)
	assert.False(t, kf.Created)
}

func TestForget_DropsTheLoginsSealedWithALostKeySoANewKeyCanBeUsed(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	lost := open(t, url, tokenstore.NewKey())
	for _, role := range []oauth.Role{oauth.Broadcaster, oauth.Bot} {
		_, err := lost.Save(ctx, tokenstore.Grant{Role: role, UserID: "1", Access: "a", Refresh: "r"})
		require.NoError(t, err)
	}
	fresh := tokenstore.NewKey()
	_, err := tokenstore.Open(ctx, url, fresh)
	require.ErrorIs(t, err, tokenstore.ErrWrongKey)

	n, err := tokenstore.Forget(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	s := open(t, url, fresh)
	_, err = s.Get(ctx, oauth.Broadcaster)
	assert.ErrorIs(t, err, tokenstore.ErrNotLoggedIn)
	_, err = tokenstore.Open(ctx, url, tokenstore.NewKey())
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey, "the fresh key is the store's key from now on")
}

// FuzzKeyFile: whatever a key file holds, it is either a key of exactly 32 bytes or
// refused with the path in the error — and it is never rewritten.
func FuzzKeyFile(f *testing.F) {
	f.Add([]byte(tokenstore.NewKey() + "\n"))
	f.Add([]byte(base64.RawURLEncoding.EncodeToString(make([]byte, 32))))
	f.Add([]byte("c2hvcnQ=\n"))
	f.Add([]byte{0xff, 0xfe, 0x00})
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), tokenstore.KeyFileName)
		require.NoError(t, os.WriteFile(path, content, 0o600))
		kf, err := tokenstore.LoadOrCreateKeyFile(path)
		after, rerr := os.ReadFile(path)
		require.NoError(t, rerr)
		require.Equal(t, content, after, "never rewritten")
		if err != nil {
			require.Contains(t, err.Error(), path)
			return
		}
		require.False(t, kf.Created)
		raw, err := tokenstore.ParseKey(kf.Key)
		require.NoError(t, err)
		require.Len(t, raw, 32)
	})
}
