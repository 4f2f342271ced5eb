package fakehelix_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

func post(b, sender, msg string, extra string) string {
	return fmt.Sprintf(`{"broadcaster_id":%q,"sender_id":%q,"message":%q%s}`, b, sender, msg, extra)
}

func TestChat_LimitIsFiveHundredCharactersNotBytes(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, _ := f.IssueUserToken("1", "user:write:chat")
	cyrillic := strings.Repeat("ж", 300) // 600 bytes
	a := helixJSON(t, f, http.MethodPost, "/chat/messages", access, post("1", "1", cyrillic, ""))
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	a = helixJSON(t, f, http.MethodPost, "/chat/messages", access, post("1", "1", strings.Repeat("ж", 500), ""))
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	a = helixJSON(t, f, http.MethodPost, "/chat/messages", access, post("1", "1", strings.Repeat("ж", 501), ""))
	assert.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	assert.Len(t, f.Posts(), 2)
}

func TestChat_UserTokenNeedsWriteScope(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, _ := f.IssueUserToken("1", "user:read:chat")
	a := helixJSON(t, f, http.MethodPost, "/chat/messages", access, post("1", "1", "hi", ""))
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Contains(t, a.body["message"], "user:write:chat")
}

func TestChat_AppTokenNeedsSenderAuthorisationAndBroadcasterBotScope(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	app := appToken(t, f)
	send := func() answer {
		return helixJSON(t, f, http.MethodPost, "/chat/messages", app, post("10", "20", "hi", ""))
	}

	a := send()
	assert.Equal(t, http.StatusUnauthorized, a.status, "a sender who never authorised the app cannot be posted as: %s", a.raw)

	f.Authorize("20", "user:write:chat") // no user:bot
	assert.Equal(t, http.StatusUnauthorized, send().status)

	f.Authorize("20", "user:write:chat", "user:bot")
	a = send()
	assert.Equal(t, http.StatusForbidden, a.status, "the broadcaster has not granted channel:bot: %s", a.raw)

	f.SetModerator("10", "20", true)
	assert.Equal(t, http.StatusOK, send().status, "moderator status stands in for channel:bot")
	f.SetModerator("10", "20", false)
	assert.Equal(t, http.StatusForbidden, send().status)

	f.Authorize("10", "channel:bot")
	a = send()
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	posts := f.Posts()
	require.Len(t, posts, 2)
	assert.True(t, posts[1].AppToken)

	f.RevokeAuthorization("20")
	assert.Equal(t, http.StatusUnauthorized, send().status, "a revoked authorisation ends app-token posts too")
}

func TestChat_SharedChatReachesEveryChannelUnlessAppTokenAsksForSourceOnly(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.SetSharedChat("10", "11", "12")
	user, _ := f.IssueUserToken("20", "user:write:chat", "user:bot")
	f.Authorize("10", "channel:bot")
	app := appToken(t, f)

	a := helixJSON(t, f, http.MethodPost, "/chat/messages", user, post("10", "20", "hi", `,"for_source_only":true`))
	assert.Equal(t, http.StatusBadRequest, a.status, "for_source_only is refused with a user token")

	require.Equal(t, http.StatusOK, helixJSON(t, f, http.MethodPost, "/chat/messages", user, post("10", "20", "user", "")).status)
	require.Equal(t, http.StatusOK, helixJSON(t, f, http.MethodPost, "/chat/messages", app, post("10", "20", "app", `,"for_source_only":true`)).status)
	posts := f.Posts()
	require.Len(t, posts, 2)
	assert.Equal(t, []string{"10", "11", "12"}, posts[0].Channels, "a user token posts to the whole Shared Chat session")
	assert.Equal(t, []string{"10"}, posts[1].Channels)
}

func TestSubscribers_NeedsBroadcasterTokenWithScopeAndCapsUserIDs(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.SetSubscriber("5", "1000")
	noScope, _ := f.IssueUserToken("1", "user:read:chat")
	a := helixJSON(t, f, http.MethodGet, "/subscriptions?broadcaster_id=1&user_id=5", noScope, "")
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Contains(t, a.body["message"], "channel:read:subscriptions")

	access, _ := f.IssueUserToken("1", "channel:read:subscriptions")
	a = helixJSON(t, f, http.MethodGet, "/subscriptions?broadcaster_id=1&user_id=5", access, "")
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Len(t, a.body["data"], 1)

	assert.Equal(t, http.StatusUnauthorized, helixJSON(t, f, http.MethodGet, "/subscriptions?broadcaster_id=2&user_id=5", access, "").status,
		"the broadcaster_id must be the token's user")
	assert.Equal(t, http.StatusUnauthorized, helixJSON(t, f, http.MethodGet, "/subscriptions?broadcaster_id=1&user_id=5", appToken(t, f), "").status,
		"an app token cannot read subscribers")

	q := strings.Repeat("&user_id=7", 100)
	assert.Equal(t, http.StatusOK, helixJSON(t, f, http.MethodGet, "/subscriptions?broadcaster_id=1"+q, access, "").status)
	assert.Equal(t, http.StatusBadRequest, helixJSON(t, f, http.MethodGet, "/subscriptions?broadcaster_id=1"+q+"&user_id=8", access, "").status)
}
