package fakehelix_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

// call sends one request to the fake and decodes a JSON answer into a map.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, method, u, auth string, body io.Reader, ctype string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Client-Id", fakehelix.ClientID)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func helixJSON(t *testing.T, f *fakehelix.Server, method, path, token, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return do(t, method, f.URL()+"/helix"+path, "Bearer "+token, rd, "application/json")
}

func form(t *testing.T, f *fakehelix.Server, path string, v url.Values) answer {
	t.Helper()
	return do(t, http.MethodPost, f.URL()+path, "", strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
}

func appToken(t *testing.T, f *fakehelix.Server) string {
	t.Helper()
	a := form(t, f, "/oauth2/token", url.Values{"client_id": {fakehelix.ClientID}, "client_secret": {fakehelix.ClientSecret}, "grant_type": {"client_credentials"}})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	return a.body["access_token"].(string)
}

func chat(t *testing.T, url, clientID, auth string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/helix/chat/messages",
		strings.NewReader(`{"broadcaster_id":"1","sender_id":"1","message":"hi"}`))
	require.NoError(t, err)
	req.Header.Set("Client-Id", clientID)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestFake_ChecksClientIDAndBearerLikeTwitch(t *testing.T) {
	f, err := fakehelix.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer f.Close()
	access, _ := f.IssueUserToken("1", "user:write:chat")

	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), "other-client", "Bearer "+access))
	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), fakehelix.ClientID, "Bearer nope"))
	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), fakehelix.ClientID, "OAuth "+access))
	assert.Empty(t, f.Posts())
	assert.Equal(t, http.StatusOK, chat(t, f.URL(), fakehelix.ClientID, "Bearer "+access))
	assert.Len(t, f.Posts(), 1)

	f.ExpireTokens()
	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), fakehelix.ClientID, "Bearer "+access))
}

func TestFake_UserTokenSenderMustBeTheTokensUser(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, _ := f.IssueUserToken("2", "user:write:chat")
	// https://dev.twitch.tv/docs/api/reference/#send-chat-message: sender_id "must
	// match the user ID in the user access token" (401).
	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), fakehelix.ClientID, "Bearer "+access))
	assert.Empty(t, f.Attempts())
}

func TestFake_AuthorizationIsCheckedBeforeProgrammedFailures(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.SetDown(true)
	f.FailNext(1, http.StatusServiceUnavailable)
	a := helixJSON(t, f, http.MethodPost, "/chat/messages", "not-a-token", `{}`)
	assert.Equal(t, http.StatusUnauthorized, a.status, "a bad token is refused as such, even while Twitch is 'down'")
	f.SetDown(false)
	access, _ := f.IssueUserToken("1", "user:write:chat")
	a = helixJSON(t, f, http.MethodPost, "/chat/messages", access, `{"broadcaster_id":"1","sender_id":"1","message":"hi"}`)
	assert.Equal(t, http.StatusServiceUnavailable, a.status, "the programmed failure is still there for an authenticated call")
}

func TestFake_RatelimitHeadersOnEveryHelixResponse(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, _ := f.IssueUserToken("1", "user:write:chat")
	ok := helixJSON(t, f, http.MethodPost, "/chat/messages", access, `{"broadcaster_id":"1","sender_id":"1","message":"hi"}`)
	bad := helixJSON(t, f, http.MethodPost, "/chat/messages", access, `{"broadcaster_id":"1","sender_id":"1"}`)
	for _, a := range []answer{ok, bad} {
		assert.Equal(t, "800", a.header.Get("Ratelimit-Limit"))
		assert.NotEmpty(t, a.header.Get("Ratelimit-Remaining"))
		assert.NotEmpty(t, a.header.Get("Ratelimit-Reset"))
	}
	assert.Equal(t, "799", ok.header.Get("Ratelimit-Remaining"))
	assert.Equal(t, "798", bad.header.Get("Ratelimit-Remaining"))
	assert.Equal(t, http.StatusBadRequest, bad.status)
	assert.Equal(t, "Bad Request", bad.body["error"], "Helix errors carry error, status and message")
	assert.EqualValues(t, 400, bad.body["status"])
}
