package fakehelix_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

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
	access, _ := f.IssueUserToken("1")

	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), "other-client", "Bearer "+access))
	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), fakehelix.ClientID, "Bearer nope"))
	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), fakehelix.ClientID, "OAuth "+access))
	assert.Empty(t, f.Posts())
	assert.Equal(t, http.StatusOK, chat(t, f.URL(), fakehelix.ClientID, "Bearer "+access))
	assert.Len(t, f.Posts(), 1)

	f.ExpireTokens()
	assert.Equal(t, http.StatusUnauthorized, chat(t, f.URL(), fakehelix.ClientID, "Bearer "+access))
}

func TestFake_SenderMustOwnUserToken(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, _ := f.IssueUserToken("2")
	assert.Equal(t, http.StatusForbidden, chat(t, f.URL(), fakehelix.ClientID, "Bearer "+access))
}
