package eventsub

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestDecodeChatMessage_ReadsTwitchPayload(t *testing.T) {
	env, err := DecodeEnvelope(TypeNotification, readTestdata(t, "chat_message.json"))
	require.NoError(t, err)
	assert.Equal(t, SubscriptionChatMessage, env.Subscription.Type)
	assert.Equal(t, "1971641", env.Subscription.Condition["broadcaster_user_id"])

	m, err := DecodeChatMessage(env.Event)
	require.NoError(t, err)
	assert.Equal(t, "1971641", m.BroadcasterUserID)
	assert.Equal(t, "4145994", m.ChatterUserID)
	assert.Equal(t, "viewer32", m.ChatterUserLogin)
	assert.Equal(t, "Viewer32", m.ChatterUserName)
	assert.Equal(t, "cc106a89-1814-919d-454c-f4f2f970aae7", m.MessageID)
	assert.Equal(t, "!twgold Thrall", m.Message.Text)
	assert.Equal(t, []string{"moderator", "subscriber", "sub-gifter"}, m.BadgeSetIDs())
	assert.Equal(t, Badge{SetID: "subscriber", ID: "12", Info: "16"}, m.Badges[1])
	assert.Empty(t, m.SourceBroadcasterUserID, "null decodes to empty")
	assert.False(t, m.IsSharedChatRelay())
}

func TestDecodeChatMessage_SharedChatRelay(t *testing.T) {
	env, err := DecodeEnvelope(TypeNotification, readTestdata(t, "chat_message_shared.json"))
	require.NoError(t, err)
	m, err := DecodeChatMessage(env.Event)
	require.NoError(t, err)
	assert.Equal(t, "112233", m.SourceBroadcasterUserID)
	assert.Equal(t, "otherchannel", m.SourceBroadcasterUserLogin)
	assert.Equal(t, "0f6a2e4c-3b3d-4d2b-9d51-3cf0b1b4a7e2", m.SourceMessageID)
	assert.Equal(t, []Badge{{SetID: "subscriber", ID: "3", Info: "3"}}, m.SourceBadges)
	assert.Empty(t, m.BadgeSetIDs())
	assert.Equal(t, "!twgold Артас", m.Message.Text)
	assert.True(t, m.IsSharedChatRelay())

	m.SourceBroadcasterUserID = m.BroadcasterUserID
	assert.False(t, m.IsSharedChatRelay(), "a message sent in this channel during Shared Chat is not a relay")
}

func TestDecodeEnvelope_VerificationAndRevocation(t *testing.T) {
	env, err := DecodeEnvelope(TypeVerification, readTestdata(t, "verification.json"))
	require.NoError(t, err)
	assert.Equal(t, "pogchamp-kappa-360noscope-vohiyo", env.Challenge)

	env, err = DecodeEnvelope(TypeRevocation, readTestdata(t, "revocation.json"))
	require.NoError(t, err)
	assert.Equal(t, StatusAuthorizationRevoked, env.Subscription.Status)
	assert.Equal(t, "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", env.Subscription.ID)
}

func TestDecodeEnvelope_RefusesMalformedBodiesAsInvalid(t *testing.T) {
	cases := []struct{ name, typ, body string }{
		{"empty", TypeNotification, ``},
		{"not json", TypeNotification, `hello`},
		{"truncated", TypeNotification, `{"subscription":{"type":"channel.chat.message"},"event":{`},
		{"array", TypeNotification, `[]`},
		{"null", TypeNotification, `null`},
		{"trailing garbage", TypeNotification, `{"subscription":{"type":"x"},"event":{}} {}`},
		{"notification without event", TypeNotification, `{"subscription":{"type":"channel.chat.message"}}`},
		{"notification with null event", TypeNotification, `{"subscription":{"type":"channel.chat.message"},"event":null}`},
		{"notification without type", TypeNotification, `{"subscription":{},"event":{}}`},
		{"wrong field type", TypeNotification, `{"subscription":{"type":5},"event":{}}`},
		{"verification without challenge", TypeVerification, `{"subscription":{"type":"channel.chat.message"}}`},
		{"verification with numeric challenge", TypeVerification, `{"challenge":12}`},
		{"revocation without subscription", TypeRevocation, `{}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeEnvelope(c.typ, []byte(c.body))
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.CodeOf(err))
		})
	}
}

func TestDecodeChatMessage_RefusesEventsMissingIdentity(t *testing.T) {
	cases := map[string]string{
		"no broadcaster":  `{"chatter_user_id":"1","message_id":"m"}`,
		"no chatter":      `{"broadcaster_user_id":"1","message_id":"m"}`,
		"no message id":   `{"broadcaster_user_id":"1","chatter_user_id":"2"}`,
		"badges not list": `{"broadcaster_user_id":"1","chatter_user_id":"2","message_id":"m","badges":{}}`,
		"text not string": `{"broadcaster_user_id":"1","chatter_user_id":"2","message_id":"m","message":{"text":1}}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeChatMessage([]byte(body))
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.CodeOf(err))
		})
	}
}

// FuzzDecodeEnvelope feeds arbitrary bodies through the decoders the webhook runs on
// outside input: they never panic, and whatever they accept has the fields its type needs.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, name := range []string{"chat_message.json", "chat_message_shared.json", "verification.json", "revocation.json"} {
		b := readTestdata(f, name)
		for _, typ := range []string{TypeNotification, TypeVerification, TypeRevocation} {
			f.Add(typ, b)
		}
	}
	f.Add(TypeNotification, []byte(`{"subscription":{"type":"channel.chat.message"},"event":{"broadcaster_user_id":"1","chatter_user_id":"2","message_id":"3","message":{"text":"!twgold \u0000"}}}`))
	f.Add("other", []byte(`{}`))
	f.Add(TypeNotification, []byte(`null`))
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		env, err := DecodeEnvelope(typ, body)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("decode error without invalid_payload code: %v", err)
			}
			return
		}
		switch typ {
		case TypeVerification:
			if env.Challenge == "" {
				t.Fatal("accepted a verification without challenge")
			}
		case TypeNotification:
			if env.Subscription.Type == "" || len(env.Event) == 0 {
				t.Fatal("accepted a notification without type or event")
			}
			m, err := DecodeChatMessage(env.Event)
			if err != nil {
				if errs.CodeOf(err) != errs.Invalid {
					t.Fatalf("chat decode error without invalid_payload code: %v", err)
				}
				return
			}
			if m.BroadcasterUserID == "" || m.ChatterUserID == "" || m.MessageID == "" {
				t.Fatal("accepted a chat message without identity")
			}
			_ = m.BadgeSetIDs()
			_ = m.IsSharedChatRelay()
		}
	})
}
