package allinone

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

// LocalTokenKey gives cfg the one-process mode's Twitch token key when MGM_TOKEN_KEY is
// unset (docs/streamer-guide.md, setup A): the key kept in dataDir/twitch-token.key,
// generated there the first time (tokenstore.LoadOrCreateKeyFile: mode 0600, created
// atomically, an unusable file refused rather than replaced). The key is checked
// against the database at once: one just generated that does not open the logins stored
// there (sealed with another key) is removed again, and the start refused. The key is
// never logged or printed; its file is. The separate services never call this: they
// take the key from the environment only.
func LocalTokenKey(ctx context.Context, cfg *config.Config, dataDir string) (tokenstore.KeyFile, error) {
	path, err := filepath.Abs(filepath.Join(dataDir, tokenstore.KeyFileName))
	if err != nil {
		return tokenstore.KeyFile{}, err
	}
	kf, err := tokenstore.LoadOrCreateKeyFile(path)
	if err != nil {
		return kf, err
	}
	store, err := tokenstore.Open(ctx, cfg.DatabaseURL, kf.Key)
	if errors.Is(err, tokenstore.ErrWrongKey) {
		if kf.Created {
			_ = os.Remove(path) // never used: the database answers to another key
			return kf, fmt.Errorf("MGM_TOKEN_KEY is unset, and the Twitch logins stored in the database were sealed with a key "+
				"that is not in %s: set MGM_TOKEN_KEY to that key, or, if it is lost, run `mgm twitch forget` and log in again", path)
		}
		return kf, fmt.Errorf("MGM_TOKEN_KEY is unset, and the key kept in %s does not open the Twitch logins stored in the "+
			"database (they were sealed with another key): set MGM_TOKEN_KEY to that key, or, if it is lost, run "+
			"`mgm twitch forget` and log in again", path)
	}
	if err != nil {
		return kf, err
	}
	store.Close()
	cfg.TokenKey = kf.Key
	return kf, nil
}

// KeyNote says where a kept key lives and what losing it costs, for the log and
// `mgm twitch status`.
func KeyNote(kf tokenstore.KeyFile) string {
	return fmt.Sprintf("the stored Twitch logins are sealed with the key kept in %s (MGM_TOKEN_KEY is unset); "+
		"keep a copy of that file: losing it means logging in again (`mgm twitch forget`, then `mgm twitch login`)", kf.Path)
}

// ExposedNote is the warning for a key file other users of the machine can read.
func ExposedNote(kf tokenstore.KeyFile) string {
	return fmt.Sprintf("the token key file %s can be read by other users of this machine: chmod 600 %s", kf.Path, kf.Path)
}
