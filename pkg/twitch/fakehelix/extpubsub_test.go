package fakehelix_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/extjwt"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

var extSecret = extjwt.NewSecret("pubsub")

func extKey(t *testing.T, secretB64 string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(secretB64)
	require.NoError(t, err)
	return k
}

// ebsJWT is the token an Extension Backend Service signs to send to channel.
func ebsJWT(t *testing.T, channel string, send ...string) string {
	t.Helper()
	return extjwt.Sign(map[string]any{"alg": "HS256", "typ": "JWT"}, map[string]any{
		"exp": time.Now().Add(time.Minute).Unix(), "channel_id": channel, "role": "external",
		"pubsub_perms": map[string]any{"send": send},
	}, "HS256", extKey(t, extSecret))
}

type pubsubCall struct {
	clientID, auth, contentType, body string
}

func (c pubsubCall) do(t *testing.T, f *fakehelix.Server) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.URL()+"/helix/extensions/pubsub", strings.NewReader(c.body))
	require.NoError(t, err)
	if c.clientID == "" {
		c.clientID = fakehelix.ExtensionClientID
	}
	if c.contentType == "" {
		c.contentType = "application/json"
	}
	req.Header.Set("Client-Id", c.clientID)
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", c.contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp
}

func pubsubBody(t *testing.T, broadcaster, target, message string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"broadcaster_id": broadcaster, "target": []string{target}, "message": message})
	require.NoError(t, err)
	return string(b)
}

func newPubSubFake(t *testing.T) *fakehelix.Server {
	t.Helper()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	require.NoError(t, f.SetExtensionSecrets(extSecret))
	return f
}

func TestExtPubSub_RecordsSignedMessagesInOrder(t *testing.T) {
	t.Parallel()
	f := newPubSubFake(t)
	changed := f.PubSubChanged()
	tok := ebsJWT(t, "42", "broadcast", "whisper-U7")

	resp := pubsubCall{auth: "Bearer " + tok, body: pubsubBody(t, "42", "broadcast", `{"v":1}`)}.do(t, f)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	select {
	case <-changed:
	default:
		t.Fatal("PubSubChanged was not closed by an accepted message")
	}
	resp = pubsubCall{auth: "Bearer " + tok, body: pubsubBody(t, "42", "whisper-U7", `{"v":2}`)}.do(t, f)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)

	got := f.PubSubMessages(0)
	require.Len(t, got, 2)
	assert.Equal(t, 1, got[0].Seq)
	assert.Equal(t, "broadcast", got[0].Target)
	assert.Equal(t, `{"v":1}`, got[0].Message)
	assert.Equal(t, "whisper-U7", got[1].Target)
	assert.Equal(t, "42", got[1].BroadcasterID)
	assert.Len(t, f.PubSubMessages(1), 1)
	assert.Empty(t, f.PubSubMessages(2))
	assert.Equal(t, 2, f.Requests("POST /helix/extensions/pubsub"))
}

func TestExtPubSub_RefusesTokensTwitchWouldRefuse(t *testing.T) {
	t.Parallel()
	f := newPubSubFake(t)
	key := extKey(t, extSecret)
	claims := func(mut func(map[string]any)) map[string]any {
		c := map[string]any{"exp": time.Now().Add(time.Minute).Unix(), "channel_id": "42", "role": "external",
			"pubsub_perms": map[string]any{"send": []string{"broadcast"}}}
		mut(c)
		return c
	}
	hs256 := map[string]any{"alg": "HS256", "typ": "JWT"}
	body := pubsubBody(t, "42", "broadcast", "{}")
	cases := map[string]pubsubCall{
		"other secret":  {auth: "Bearer " + extjwt.Sign(hs256, claims(func(map[string]any) {}), "HS256", extKey(t, extjwt.NewSecret("other")))},
		"alg none":      {auth: "Bearer " + extjwt.Sign(map[string]any{"alg": "none"}, claims(func(map[string]any) {}), "none", nil)},
		"HS512":         {auth: "Bearer " + extjwt.Sign(map[string]any{"alg": "HS512"}, claims(func(map[string]any) {}), "HS512", key)},
		"expired":       {auth: "Bearer " + extjwt.Sign(hs256, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Second).Unix() }), "HS256", key)},
		"no exp":        {auth: "Bearer " + extjwt.Sign(hs256, claims(func(c map[string]any) { delete(c, "exp") }), "HS256", key)},
		"viewer role":   {auth: "Bearer " + extjwt.Sign(hs256, claims(func(c map[string]any) { c["role"] = "viewer" }), "HS256", key)},
		"other channel": {auth: "Bearer " + extjwt.Sign(hs256, claims(func(c map[string]any) { c["channel_id"] = "43" }), "HS256", key)},
		"no send perm": {auth: "Bearer " + extjwt.Sign(hs256, claims(func(c map[string]any) {
			c["pubsub_perms"] = map[string]any{"listen": []string{"broadcast"}}
		}), "HS256", key)},
		"whisper-only perm": {auth: "Bearer " + extjwt.Sign(hs256, claims(func(c map[string]any) {
			c["pubsub_perms"] = map[string]any{"send": []string{"whisper-U1"}}
		}), "HS256", key)},
		"app client id": {clientID: fakehelix.ClientID, auth: "Bearer " + ebsJWT(t, "42", "broadcast")},
		"not bearer":    {auth: "OAuth " + ebsJWT(t, "42", "broadcast")},
	}
	for name, c := range cases {
		c.body = body
		resp := c.do(t, f)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
	}
	assert.Empty(t, f.PubSubMessages(0))

	// Without any secret configured nothing is accepted.
	g := fakehelix.New()
	defer g.Close()
	resp := pubsubCall{auth: "Bearer " + ebsJWT(t, "42", "broadcast"), body: body}.do(t, g)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestExtPubSub_RefusesBodiesOutsideTheReference(t *testing.T) {
	t.Parallel()
	f := newPubSubFake(t)
	auth := "Bearer " + ebsJWT(t, "42", "*")
	cases := map[string]pubsubCall{
		"5,001 bytes":     {body: pubsubBody(t, "42", "broadcast", strings.Repeat("x", fakehelix.PubSubMaxMessageBytes+1))},
		"two targets":     {body: `{"broadcaster_id":"42","target":["broadcast","whisper-U1"],"message":"{}"}`},
		"no target":       {body: `{"broadcaster_id":"42","target":[],"message":"{}"}`},
		"unknown target":  {body: pubsubBody(t, "42", "everyone", "{}")},
		"empty whisper":   {body: pubsubBody(t, "42", "whisper-", "{}")},
		"global":          {body: `{"is_global_broadcast":true,"target":["global"],"message":"{}"}`},
		"no broadcaster":  {body: `{"target":["broadcast"],"message":"{}"}`},
		"no message":      {body: `{"broadcaster_id":"42","target":["broadcast"]}`},
		"v5 content_type": {body: `{"broadcaster_id":"42","target":["broadcast"],"message":"{}","content_type":"application/json"}`},
		"not json":        {body: `broadcast`},
		"form encoded":    {body: pubsubBody(t, "42", "broadcast", "{}"), contentType: "application/x-www-form-urlencoded"},
	}
	for name, c := range cases {
		c.auth = auth
		resp := c.do(t, f)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
	}
	assert.Empty(t, f.PubSubMessages(0))

	// Exactly 5,000 bytes still goes through.
	resp := pubsubCall{auth: auth, body: pubsubBody(t, "42", "broadcast", strings.Repeat("x", fakehelix.PubSubMaxMessageBytes))}.do(t, f)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

func TestExtPubSub_LimitsEachChannelPerMinuteWhispersIncluded(t *testing.T) {
	t.Parallel()
	f := newPubSubFake(t)
	f.SetPubSubLimit(3)
	auth := "Bearer " + ebsJWT(t, "42", "*")
	for _, target := range []string{"broadcast", "whisper-U1", "whisper-U2"} {
		resp := pubsubCall{auth: auth, body: pubsubBody(t, "42", target, "{}")}.do(t, f)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, target)
	}
	resp := pubsubCall{auth: auth, body: pubsubBody(t, "42", "broadcast", "{}")}.do(t, f)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "0", resp.Header.Get("Ratelimit-Remaining"))
	assert.NotEmpty(t, resp.Header.Get("Ratelimit-Reset"))
	assert.Len(t, f.PubSubMessages(0), 3, "a refused message is not delivered")

	// Another channel has its own budget.
	resp = pubsubCall{auth: "Bearer " + ebsJWT(t, "43", "*"), body: pubsubBody(t, "43", "broadcast", "{}")}.do(t, f)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

func TestExtPubSub_ProgrammedFailuresLeaveNoMessage(t *testing.T) {
	t.Parallel()
	f := newPubSubFake(t)
	f.FailPubSubNext(1, http.StatusServiceUnavailable)
	auth := "Bearer " + ebsJWT(t, "42", "broadcast")
	body := pubsubBody(t, "42", "broadcast", "{}")
	assert.Equal(t, http.StatusServiceUnavailable, pubsubCall{auth: auth, body: body}.do(t, f).StatusCode)
	assert.Empty(t, f.PubSubMessages(0))
	f.SetDown(true)
	assert.Equal(t, http.StatusServiceUnavailable, pubsubCall{auth: auth, body: body}.do(t, f).StatusCode)
	f.SetDown(false)
	assert.Equal(t, http.StatusNoContent, pubsubCall{auth: auth, body: body}.do(t, f).StatusCode)
	assert.Len(t, f.PubSubMessages(0), 1)
}
