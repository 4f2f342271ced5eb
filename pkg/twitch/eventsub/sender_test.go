package eventsub

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type captured struct {
	header http.Header
	body   []byte
}

// recorder is a callback that records deliveries and answers 204.
func recorder(t *testing.T) (*httptest.Server, func() []captured) {
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

const testSecret = "sender-test-secret"

func send(t *testing.T, f func() (*http.Response, error)) *http.Response {
	t.Helper()
	resp, err := f()
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	return resp
}

func TestSender_ChatMessageIsSignedAndDecodes(t *testing.T) {
	srv, got := recorder(t)
	now := time.Date(2024, 5, 1, 12, 0, 0, 123, time.UTC)
	s := NewSender(testSecret, srv.URL)
	s.Now = func() time.Time { return now }

	resp := send(t, func() (*http.Response, error) {
		return s.ChatMessage(context.Background(), ChatMessageOpts{
			BroadcasterID: "100", UserID: "200", UserName: "Viewer", Text: "!twgold Thrall",
			Badges: []string{"subscriber", "vip"}, MessageID: "chat-1",
		})
	})
	require.Len(t, got(), 1)
	d := got()[0]
	h := d.header
	assert.Equal(t, DeliveryID(resp), h.Get(HeaderMessageID))
	assert.NotEmpty(t, h.Get(HeaderMessageID))
	assert.Equal(t, TypeNotification, h.Get(HeaderMessageType))
	assert.Equal(t, SubscriptionChatMessage, h.Get(HeaderSubscriptionType))
	assert.Equal(t, "2024-05-01T12:00:00.000000123Z", h.Get(HeaderMessageTimestamp))
	assert.True(t, Verify(testSecret, h.Get(HeaderMessageID), h.Get(HeaderMessageTimestamp), d.body, h.Get(HeaderMessageSignature)))

	env, err := DecodeEnvelope(TypeNotification, d.body)
	require.NoError(t, err)
	m, err := DecodeChatMessage(env.Event)
	require.NoError(t, err)
	assert.Equal(t, "100", m.BroadcasterUserID)
	assert.Equal(t, "200", m.ChatterUserID)
	assert.Equal(t, "viewer", m.ChatterUserLogin)
	assert.Equal(t, "Viewer", m.ChatterUserName)
	assert.Equal(t, "chat-1", m.MessageID)
	assert.Equal(t, "!twgold Thrall", m.Message.Text)
	assert.Equal(t, []string{"subscriber", "vip"}, m.BadgeSetIDs())
	assert.False(t, m.IsSharedChatRelay())
}

func TestSender_SharedChatRelay(t *testing.T) {
	srv, got := recorder(t)
	s := NewSender(testSecret, srv.URL)
	send(t, func() (*http.Response, error) {
		return s.ChatMessage(context.Background(), ChatMessageOpts{BroadcasterID: "100", UserID: "200", Text: "!twgold Thrall", SourceBroadcasterID: "300"})
	})
	env, err := DecodeEnvelope(TypeNotification, got()[0].body)
	require.NoError(t, err)
	m, err := DecodeChatMessage(env.Event)
	require.NoError(t, err)
	assert.Equal(t, "300", m.SourceBroadcasterUserID)
	assert.True(t, m.IsSharedChatRelay())
	assert.NotEmpty(t, m.MessageID, "a fresh chat message id when none is given")
}

func TestSender_Options(t *testing.T) {
	srv, got := recorder(t)
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	s := NewSender(testSecret, srv.URL)
	s.Now = func() time.Time { return now }
	ctx := context.Background()
	chat := ChatMessageOpts{BroadcasterID: "1", UserID: "2", Text: "hi"}

	send(t, func() (*http.Response, error) {
		return s.ChatMessage(ctx, chat, WithDeliveryID("d-1"), WithAge(11*time.Minute))
	})
	send(t, func() (*http.Response, error) {
		return s.ChatMessage(ctx, chat, WithDeliveryID("d-1"), WithAge(-time.Hour))
	})
	send(t, func() (*http.Response, error) { return s.ChatMessage(ctx, chat, WithBadSignature(), WithRetry(2)) })
	send(t, func() (*http.Response, error) {
		return s.ChatMessage(ctx, chat, WithTimestamp(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)))
	})
	send(t, func() (*http.Response, error) { return s.ChatMessage(ctx, chat, WithRawTimestamp("not a time")) })

	d := got()
	require.Len(t, d, 5)
	assert.Equal(t, "d-1", d[0].header.Get(HeaderMessageID))
	assert.Equal(t, "d-1", d[1].header.Get(HeaderMessageID))
	assert.Equal(t, "2024-05-01T11:49:00Z", d[0].header.Get(HeaderMessageTimestamp))
	assert.Equal(t, "2024-05-01T13:00:00Z", d[1].header.Get(HeaderMessageTimestamp))
	assert.Equal(t, "2020-01-01T00:00:00Z", d[3].header.Get(HeaderMessageTimestamp))
	assert.Equal(t, "not a time", d[4].header.Get(HeaderMessageTimestamp))
	assert.Equal(t, "2", d[2].header.Get(HeaderMessageRetry))
	for i, c := range d {
		valid := Verify(testSecret, c.header.Get(HeaderMessageID), c.header.Get(HeaderMessageTimestamp), c.body, c.header.Get(HeaderMessageSignature))
		assert.Equal(t, i != 2, valid, "delivery %d signature", i)
	}
}

func TestSender_VerificationAndRevocation(t *testing.T) {
	srv, got := recorder(t)
	s := NewSender(testSecret, srv.URL)
	ctx := context.Background()
	send(t, func() (*http.Response, error) { return s.Verification(ctx, "challenge-abc") })
	send(t, func() (*http.Response, error) { return s.Revocation(ctx, StatusUserRemoved) })

	d := got()
	require.Len(t, d, 2)
	assert.Equal(t, TypeVerification, d[0].header.Get(HeaderMessageType))
	env, err := DecodeEnvelope(TypeVerification, d[0].body)
	require.NoError(t, err)
	assert.Equal(t, "challenge-abc", env.Challenge)

	assert.Equal(t, TypeRevocation, d[1].header.Get(HeaderMessageType))
	env, err = DecodeEnvelope(TypeRevocation, d[1].body)
	require.NoError(t, err)
	assert.Equal(t, StatusUserRemoved, env.Subscription.Status)
	assert.Equal(t, s.SubscriptionID, env.Subscription.ID)
	for _, c := range d {
		assert.True(t, Verify(testSecret, c.header.Get(HeaderMessageID), c.header.Get(HeaderMessageTimestamp), c.body, c.header.Get(HeaderMessageSignature)))
	}
}
