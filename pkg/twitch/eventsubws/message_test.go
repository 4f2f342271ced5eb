package eventsubws_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/eventsubws"
)

// seed reads one seed of testdata/fuzz/FuzzParse (the documentation's examples and
// some garbage).
func seed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParse", name))
	require.NoError(t, err)
	lines := strings.SplitN(string(b), "\n", 2)
	v := strings.TrimSpace(lines[1])
	v = strings.TrimSuffix(strings.TrimPrefix(v, "[]byte("), ")")
	s, err := strconv.Unquote(v)
	require.NoError(t, err)
	return []byte(s)
}

func TestParse_DocumentedMessages(t *testing.T) {
	m, err := eventsubws.Parse(seed(t, "welcome"))
	require.NoError(t, err)
	assert.Equal(t, eventsubws.TypeWelcome, m.Type)
	assert.Equal(t, "AQoQILE98gtqShGmLD7AM6yJThAB", m.Session.ID)
	assert.Equal(t, 10*time.Second, m.Session.KeepaliveTimeout)

	m, err = eventsubws.Parse(seed(t, "reconnect"))
	require.NoError(t, err)
	assert.Equal(t, "wss://eventsub.wss.twitch.tv?...", m.Session.ReconnectURL)

	m, err = eventsubws.Parse(seed(t, "notification"))
	require.NoError(t, err)
	assert.Equal(t, "channel.chat.message", m.SubscriptionType)
	assert.Equal(t, "channel.chat.message", m.Subscription.Type)
	assert.Contains(t, string(m.Event), "!twgold Thrall")

	m, err = eventsubws.Parse(seed(t, "revocation"))
	require.NoError(t, err)
	assert.Equal(t, "authorization_revoked", m.Subscription.Status)

	_, err = eventsubws.Parse(seed(t, "keepalive"))
	require.NoError(t, err)
}

func TestParse_RefusesWhatItCannotTrust(t *testing.T) {
	for _, name := range []string{"garbage", "truncated", "null", "trailing"} {
		_, err := eventsubws.Parse(seed(t, name))
		assert.Error(t, err, name)
	}
	_, err := eventsubws.Parse(seed(t, "unknown"))
	assert.True(t, errors.Is(err, eventsubws.ErrUnknownType))
	for _, frame := range []string{
		`{"metadata":{"message_id":"x","message_type":"session_welcome","message_timestamp":"2022-11-16T10:11:12Z"},"payload":{"session":{"id":"s","keepalive_timeout_seconds":0}}}`,
		`{"metadata":{"message_id":"x","message_type":"session_reconnect","message_timestamp":"2022-11-16T10:11:12Z"},"payload":{"session":{"id":"s","reconnect_url":"https://evil.example/"}}}`,
		`{"metadata":{"message_id":"x","message_type":"notification","message_timestamp":"2022-11-16T10:11:12Z"},"payload":{"subscription":{"type":"channel.chat.message"},"event":null}}`,
		`{"metadata":{"message_type":"session_keepalive","message_timestamp":"2022-11-16T10:11:12Z"},"payload":{}}`,
		`{"metadata":{"message_id":"x","message_type":"session_keepalive","message_timestamp":"yesterday"},"payload":{}}`,
	} {
		_, err := eventsubws.Parse([]byte(frame))
		assert.Error(t, err, frame)
	}
}

// FuzzParse: no frame makes the parser panic, and an accepted frame has what its type
// promises.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := eventsubws.Parse(frame)
		if err != nil {
			if strings.Contains(err.Error(), string(frame)) && len(frame) > 50 {
				t.Fatalf("error echoes the frame: %v", err)
			}
			return
		}
		if m.ID == "" || m.Type == "" {
			t.Fatalf("accepted a frame without id or type")
		}
		switch m.Type {
		case eventsubws.TypeWelcome:
			if m.Session.ID == "" || m.Session.KeepaliveTimeout <= 0 {
				t.Fatalf("welcome without session or keepalive")
			}
		case eventsubws.TypeReconnect:
			if !strings.HasPrefix(m.Session.ReconnectURL, "ws") {
				t.Fatalf("reconnect to %q", m.Session.ReconnectURL)
			}
		case eventsubws.TypeNotification:
			if m.Subscription.Type == "" || len(m.Event) == 0 {
				t.Fatalf("notification without subscription type or event")
			}
		}
	})
}
