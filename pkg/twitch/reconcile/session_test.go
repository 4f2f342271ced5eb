package reconcile_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

// dialSession opens an EventSub WebSocket session on the fake and returns its id.
func dialSession(t *testing.T, f *fakehelix.Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, f.WebSocketURL(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CloseNow() })
	_, b, err := c.Read(ctx)
	require.NoError(t, err)
	var m struct {
		Payload struct {
			Session struct {
				ID string `json:"id"`
			} `json:"session"`
		} `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	go func() {
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	return m.Payload.Session.ID
}
