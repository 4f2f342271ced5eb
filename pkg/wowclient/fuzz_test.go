package wowclient_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
)

var idRe = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)

// FuzzReceiveGold feeds arbitrary specs to the addon's ReceiveGold through the client:
// no Lua error, and whatever gets queued is a valid, unique entry.
func FuzzReceiveGold(f *testing.F) {
	for _, s := range []string{
		payout1 + ":Norinn:10000000",
		payout1 + ":Норинн:1;" + payout2 + ":Jaina:2147483647;",
		" a : Élodie : 5 ;; b:ёжик:0; c:X:1; d:Nor1nn:1",
		"x:Норинн:99999999999;y::1;:z:1;a:b:c:d",
		"\xff\xfe:\xd0:1;id:\xd0\x9d\xd0:1",
		strings.Repeat("a:Norinn:1;", 50),
		"|cffffffff|Hitem:1|h[x]|h|r:Norinn:1",
	} {
		f.Add(s)
	}
	c := newClient(f)
	f.Fuzz(func(t *testing.T, spec string) {
		require.NoError(t, c.Run("MGM_DB.queue = {} MGM_DB.sent = {}"))
		start := time.Now()
		require.NoError(t, c.Call("ReceiveGold", spec))
		require.Less(t, time.Since(start), time.Second, "ReceiveGold must stay fast on %d bytes", len(spec))
		require.Empty(t, c.TakeErrors())
		seen := map[string]bool{}
		for _, e := range queue(t, c) {
			m := e.(map[string]any)
			id, name, copper := m["id"].(string), m["name"].(string), m["copper"].(float64)
			assert.Regexp(t, idRe, id)
			assert.False(t, seen[id], "duplicate id %s", id)
			seen[id] = true
			_, err := domain.ParseCharacterName(name)
			assert.NoError(t, err, "queued name %q", name)
			assert.Equal(t, strings.TrimSpace(name), name)
			assert.True(t, copper >= 1 && copper <= 2147483647 && copper == float64(int64(copper)), "copper %v", copper)
		}
	})
}
