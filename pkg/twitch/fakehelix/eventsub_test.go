package fakehelix_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

const secret = "0123456789-secret"

// callback is a webhook receiver: it verifies signatures and answers challenges the
// way ingest does (or wrongly, when told to).
type callback struct {
	srv       *httptest.Server
	mu        sync.Mutex
	types     []string
	bodies    []map[string]any
	wrong     bool
	failNotes bool
}

func newCallback(t *testing.T) *callback {
	c := &callback{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := r.Header
		if !eventsub.Verify(secret, h.Get(eventsub.HeaderMessageID), h.Get(eventsub.HeaderMessageTimestamp), body, h.Get(eventsub.HeaderMessageSignature)) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		c.mu.Lock()
		c.types = append(c.types, h.Get(eventsub.HeaderMessageType))
		c.bodies = append(c.bodies, m)
		wrong, fail := c.wrong, c.failNotes
		c.mu.Unlock()
		switch h.Get(eventsub.HeaderMessageType) {
		case eventsub.TypeVerification:
			w.Header().Set("Content-Type", "text/plain")
			if wrong {
				fmt.Fprint(w, "not-the-challenge")
				return
			}
			fmt.Fprint(w, m["challenge"])
		case eventsub.TypeNotification:
			if fail {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *callback) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.types...)
}

func subBody(method, target, broadcaster, reader string) string {
	if method == "websocket" {
		return fmt.Sprintf(`{"type":"channel.chat.message","version":"1","condition":{"broadcaster_user_id":%q,"user_id":%q},"transport":{"method":"websocket","session_id":%q}}`, broadcaster, reader, target)
	}
	return fmt.Sprintf(`{"type":"channel.chat.message","version":"1","condition":{"broadcaster_user_id":%q,"user_id":%q},"transport":{"method":"webhook","callback":%q,"secret":%q}}`, broadcaster, reader, target, secret)
}

func waitStatus(t *testing.T, f *fakehelix.Server, id, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s, ok := f.Subscription(id); ok && s.Status == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s, _ := f.Subscription(id)
	t.Fatalf("subscription %s: status %q, want %q", id, s.Status, want)
}

func TestEventSub_WebhookCallbackMustBeHTTPSOn443(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.Authorize("1", fakehelix.BroadcasterScopes...)
	app := appToken(t, f)
	for _, cb := range []string{"http://mgm.example.com/cb", "https://mgm.example.com:8443/cb", "https:///cb", "ftp://x/cb"} {
		a := helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", cb, "1", "1"))
		assert.Equal(t, http.StatusBadRequest, a.status, cb)
	}
	a := helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://mgm.example.com:443/cb", "1", "1"))
	assert.Equal(t, http.StatusAccepted, a.status, a.raw)
	user, _ := f.IssueUserToken("1", fakehelix.BroadcasterScopes...)
	assert.Equal(t, http.StatusUnauthorized, helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", user, subBody("webhook", "https://x.example.com/cb", "1", "1")).status,
		"webhooks need an app token")
}

func TestEventSub_WebhookNeedsReaderAndBroadcasterAuthorisation(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	app := appToken(t, f)
	create := func() int {
		return helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://mgm.example.com/cb", "10", "20")).status
	}
	assert.Equal(t, http.StatusForbidden, create(), "nobody authorised anything")
	f.Authorize("20", "user:read:chat")
	assert.Equal(t, http.StatusForbidden, create(), "the reader lacks user:bot")
	f.Authorize("20", "user:read:chat", "user:bot")
	assert.Equal(t, http.StatusForbidden, create(), "the broadcaster lacks channel:bot")
	f.SetModerator("10", "20", true)
	assert.Equal(t, http.StatusAccepted, create(), "a moderating reader needs no channel:bot")
}

func TestEventSub_VerificationHandshakeEnablesOnlyAnEchoedChallenge(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.Authorize("1", fakehelix.BroadcasterScopes...)
	cb := newCallback(t)
	f.Route("https://mgm.example.com", cb.srv.URL)
	app := appToken(t, f)

	a := helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://mgm.example.com/api/twitch/eventsub", "1", "1"))
	require.Equal(t, http.StatusAccepted, a.status, a.raw)
	data := a.body["data"].([]any)[0].(map[string]any)
	assert.Equal(t, fakehelix.StatusVerificationPending, data["status"])
	id := data["id"].(string)
	waitStatus(t, f, id, fakehelix.StatusEnabled)
	assert.Equal(t, []string{eventsub.TypeVerification}, cb.got())

	dup := helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://other.example.com/cb", "1", "1"))
	assert.Equal(t, http.StatusConflict, dup.status, "same type and condition, whatever the callback")

	assert.Equal(t, 1, f.SendChat(eventsub.ChatMessageOpts{BroadcasterID: "1", UserID: "5", Text: "!twgold Thrall"}))
	assert.Equal(t, []string{eventsub.TypeVerification, eventsub.TypeNotification}, cb.got())

	// A callback that answers the wrong challenge, and one with no route, fail.
	require.Equal(t, http.StatusNoContent, helixJSON(t, f, http.MethodDelete, "/eventsub/subscriptions?id="+id, app, "").status)
	cb.mu.Lock()
	cb.wrong = true
	cb.mu.Unlock()
	a = helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://mgm.example.com/api/twitch/eventsub", "1", "1"))
	require.Equal(t, http.StatusAccepted, a.status, a.raw)
	waitStatus(t, f, a.body["data"].([]any)[0].(map[string]any)["id"].(string), fakehelix.StatusVerificationFailed)

	a = helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://nowhere.example.com/cb", "1", "1"))
	require.Equal(t, http.StatusAccepted, a.status, "a failed subscription does not block a new one: %s", a.raw)
	waitStatus(t, f, a.body["data"].([]any)[0].(map[string]any)["id"].(string), fakehelix.StatusVerificationFailed)
}

func TestEventSub_RevocationsReachTheCallback(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.Authorize("1", fakehelix.BroadcasterScopes...)
	f.SetMaxDeliveryFailures(2)
	cb := newCallback(t)
	f.Route("https://mgm.example.com", cb.srv.URL)
	app := appToken(t, f)
	a := helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://mgm.example.com/cb", "1", "1"))
	id := a.body["data"].([]any)[0].(map[string]any)["id"].(string)
	waitStatus(t, f, id, fakehelix.StatusEnabled)

	cb.mu.Lock()
	cb.failNotes = true
	cb.mu.Unlock()
	f.SendChat(eventsub.ChatMessageOpts{BroadcasterID: "1", UserID: "5", Text: "hi"})
	f.SendChat(eventsub.ChatMessageOpts{BroadcasterID: "1", UserID: "5", Text: "hi"})
	waitStatus(t, f, id, fakehelix.StatusNotificationFailuresExceeded)
	got := cb.got()
	assert.Equal(t, eventsub.TypeRevocation, got[len(got)-1])
	cb.mu.Lock()
	last := cb.bodies[len(cb.bodies)-1]
	cb.mu.Unlock()
	assert.Equal(t, fakehelix.StatusNotificationFailuresExceeded, last["subscription"].(map[string]any)["status"])
	assert.Zero(t, f.SendChat(eventsub.ChatMessageOpts{BroadcasterID: "1", UserID: "5", Text: "hi"}), "a revoked subscription gets nothing")

	list := helixJSON(t, f, http.MethodGet, "/eventsub/subscriptions?status="+fakehelix.StatusNotificationFailuresExceeded, app, "")
	assert.Len(t, list.body["data"], 1, "revoked subscriptions stay listed with their status")
	assert.Equal(t, http.StatusBadRequest, helixJSON(t, f, http.MethodGet, "/eventsub/subscriptions?status=enabled&type=x", app, "").status,
		"one filter at a time")
}

func TestEventSub_RevokedAuthorisationRevokesItsSubscriptions(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.Authorize("1", fakehelix.BroadcasterScopes...)
	cb := newCallback(t)
	f.Route("https://mgm.example.com", cb.srv.URL)
	app := appToken(t, f)
	a := helixJSON(t, f, http.MethodPost, "/eventsub/subscriptions", app, subBody("webhook", "https://mgm.example.com/cb", "1", "1"))
	id := a.body["data"].([]any)[0].(map[string]any)["id"].(string)
	waitStatus(t, f, id, fakehelix.StatusEnabled)
	f.RevokeAuthorization("1")
	waitStatus(t, f, id, fakehelix.StatusAuthorizationRevoked)
	assert.Contains(t, cb.got(), eventsub.TypeRevocation)
}
