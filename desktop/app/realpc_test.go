package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/domain"
)

// The sealed pairing cannot be opened (DPAPI refuses a blob from another Windows user or
// a moved profile; here: bytes that are no pairing): the Desktop starts with a warning and
// no key, the addon's pong signed with the key it still holds makes it pair again, and the
// addon's tags count once the new key is confirmed. The new pairing is stored readable.
func TestStart_AnUnreadableBridgePairingIsAWarningAndIsMadeAgain(t *testing.T) {
	r := newRig(t)
	p := r.api.AddPayout("Arthas", domain.PayoutInProgress)
	old := r.game.key.ID
	store := &settings.Store{Dir: filepath.Join(r.dir, "cfg")}
	s := settings.Defaults()
	s.APIBaseURL, s.WoWDir, s.ProcessName = r.api.URL, filepath.Join(r.dir, "WoW"), "Wow.exe"
	require.NoError(t, store.Save(s))
	require.NoError(t, store.SaveKey("k3y"))
	for _, name := range []string{"bridge", "bridge.dpapi"} { // the name off and on Windows
		require.NoError(t, os.WriteFile(filepath.Join(store.Dir, name), []byte("\x01\x00sealed elsewhere"), 0o600))
	}
	_, err := store.LoadBridge()
	require.Error(t, err, "the blob must be unreadable for this test")

	r.start(func(o *Options) { o.Store, o.BridgeKey, o.BridgeSelf = store, nil, "" })
	warned := false
	for _, e := range r.app.State().Events {
		warned = warned || e.Level == "warn" && strings.Contains(e.Text, "the bridge pairs again after the next self-test")
	}
	assert.True(t, warned, "a warning in the event log")
	eventually(t, func() bool {
		r.game.mu.Lock()
		id := r.game.key.ID
		r.game.mu.Unlock()
		return id != old && r.app.State().Pairing.Text == "paired (key "+id+")"
	}, "paired again")
	r.emit("[MGM_CONFIRM:" + p.ID + "]")
	eventually(t, func() bool { got, _ := r.api.Payout(p.ID); return got.Status == domain.PayoutSent }, "Sent")
	b, err := store.LoadBridge()
	require.NoError(t, err)
	r.game.mu.Lock()
	assert.Equal(t, r.game.key.Secret(), b.Key, "the new pairing is kept")
	r.game.mu.Unlock()
}
