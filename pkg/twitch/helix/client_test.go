package helix_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/helix"
)

const (
	broadcaster = "1001"
	sender      = "2002"
	text        = "Награда отправлена персонажу Артас на почту, проверяй ящик!"
)

// setup starts a fake with user tokens for the broadcaster and, when withSender, the
// sender.
func setup(t *testing.T, withSender bool, opts ...helix.Option) (*fakehelix.Server, *helix.Client, config.Config) {
	t.Helper()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	cfg := config.Defaults()
	cfg.BroadcasterID = broadcaster
	if withSender {
		cfg.SenderID = sender
	}
	cfg = f.Configure(cfg)
	return f, helix.New(cfg, opts...), cfg
}

// assertNoSecret checks that err names none of the fake's credentials.
func assertNoSecret(t *testing.T, f *fakehelix.Server, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range f.Secrets() {
		assert.NotContains(t, err.Error(), s, "error leaks a credential")
	}
}

func TestSendChatMessage_PostsWithAppTokenForTheSourceChannelOnly(t *testing.T) {
	f, c, _ := setup(t, true)
	f.SetSharedChat(broadcaster, "7007")
	res, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
	require.NoError(t, err)
	assert.True(t, res.IsSent)
	assert.NotEmpty(t, res.MessageID)
	posts := f.Posts()
	require.Len(t, posts, 1)
	assert.Equal(t, broadcaster, posts[0].BroadcasterID)
	assert.Equal(t, sender, posts[0].SenderID)
	assert.Equal(t, text, posts[0].Message)
	assert.Equal(t, res.MessageID, posts[0].MessageID)
	assert.True(t, posts[0].AppToken, "the app token posts, so a Shared Chat session does not spread it")
	assert.Equal(t, []string{broadcaster}, posts[0].Channels)
}

func TestSendChatMessage_WithoutSenderTokenUsesOneAppToken(t *testing.T) {
	f, c, _ := setup(t, false)
	for i := 0; i < 3; i++ {
		res, err := c.SendChatMessage(context.Background(), broadcaster, broadcaster, text)
		require.NoError(t, err)
		assert.True(t, res.IsSent)
	}
	assert.Len(t, f.Posts(), 3)
	assert.Equal(t, 1, f.AppTokensIssued(), "the app token is cached")
}

func TestSendChatMessage_DropIsNotSent(t *testing.T) {
	f, c, _ := setup(t, true)
	f.DropNext(1, "msg_slowmode", "slow mode is on")
	res, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
	require.NoError(t, err)
	assert.False(t, res.IsSent)
	assert.Equal(t, "msg_slowmode", res.DropCode)
	assert.Equal(t, "slow mode is on", res.DropMessage)
	assert.Empty(t, f.Posts())
	assert.Len(t, f.Attempts(), 1)
}

func TestSendChatMessage_ClassifiesFailures(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		code      errs.Code
		temporary bool
	}{
		{"server error", http.StatusInternalServerError, errs.Unavailable, true},
		{"unavailable", http.StatusServiceUnavailable, errs.Unavailable, true},
		{"bad request", http.StatusBadRequest, errs.Invalid, false},
		{"forbidden", http.StatusForbidden, errs.Forbidden, false},
		{"too long", http.StatusUnprocessableEntity, errs.Invalid, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c, _ := setup(t, true)
			f.FailNext(1, tc.status)
			_, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
			require.Error(t, err)
			assert.Equal(t, tc.code, errs.CodeOf(err))
			assert.Equal(t, tc.temporary, helix.Temporary(err))
			assert.Equal(t, tc.status, helix.HTTPStatus(err))
			assert.Empty(t, f.Posts())
			assertNoSecret(t, f, err)
		})
	}
}

func TestSendChatMessage_RateLimitExposesReset(t *testing.T) {
	f, c, _ := setup(t, true)
	reset := time.Now().Add(7 * time.Second).Truncate(time.Second)
	f.RateLimitNext(1, reset)
	_, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
	require.Error(t, err)
	assert.Equal(t, errs.RateLimited, errs.CodeOf(err))
	assert.True(t, helix.Temporary(err))
	at, ok := helix.RateLimitReset(err)
	require.True(t, ok)
	assert.True(t, reset.Equal(at), "reset %v, got %v", reset, at)

	res, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
	require.NoError(t, err)
	assert.True(t, res.IsSent)
}

func TestSendChatMessage_TimeoutIsTemporaryAndLeavesNoPost(t *testing.T) {
	f, c, _ := setup(t, true, helix.WithHTTPClient(&http.Client{Timeout: 500 * time.Millisecond}))
	// Warm the token up first so the timeout hits the chat call itself.
	_, err := c.SendChatMessage(context.Background(), broadcaster, sender, "warm-up")
	require.NoError(t, err)
	f.Hang(3 * time.Second)
	_, err = c.SendChatMessage(context.Background(), broadcaster, sender, text)
	require.Error(t, err)
	assert.Equal(t, errs.Unavailable, errs.CodeOf(err))
	assert.True(t, helix.IsTimeout(err))
	f.Hang(0)
	require.Len(t, f.Posts(), 1, "only the warm-up")
}

func TestSendChatMessage_DownIsUnavailable(t *testing.T) {
	f, c, _ := setup(t, true)
	f.SetDown(true)
	_, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
	assert.Equal(t, errs.Unavailable, errs.CodeOf(err))
	f.SetDown(false)
	_, err = c.SendChatMessage(context.Background(), broadcaster, sender, text)
	assert.NoError(t, err)
}

func TestCheckSubscription_RefreshesAnInvalidUserTokenOnceAndRetries(t *testing.T) {
	f, c, _ := setup(t, false)
	f.SetSubscriber("3003", "1000")
	_, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	f.ExpireTokens()
	ok, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1, f.RefreshesIssued())
	assert.Equal(t, 3, f.Requests("GET /helix/subscriptions"), "one 401, one retry")
	assert.Equal(t, 1, f.Validations(), "/oauth2/validate confirmed the token was invalid before the refresh")
}

func TestCheckSubscription_A401WithAValidTokenIsNotRefreshed(t *testing.T) {
	f, _, cfg := setup(t, false)
	// The broadcaster granted everything but the subscriber scope.
	cfg.BroadcasterToken, cfg.BroadcasterRefresh = f.IssueUserToken(broadcaster, "channel:bot", "user:read:chat")
	c := helix.New(cfg)
	for i := 0; i < 3; i++ {
		_, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
		require.Error(t, err)
		assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
		assert.Contains(t, err.Error(), "lack a scope")
	}
	assert.Zero(t, f.RefreshesIssued(), "a missing scope is not fixed by a refresh")
	assert.Zero(t, f.Requests("POST /oauth2/token"))
}

func TestSendChatMessage_RenewsAppTokenOn401(t *testing.T) {
	f, c, _ := setup(t, false)
	_, err := c.SendChatMessage(context.Background(), broadcaster, broadcaster, "first")
	require.NoError(t, err)
	f.ExpireTokens()
	_, err = c.SendChatMessage(context.Background(), broadcaster, broadcaster, text)
	require.NoError(t, err)
	assert.Equal(t, 2, f.AppTokensIssued())
}

func TestCheckSubscription_ConcurrentCallersShareOneRefresh(t *testing.T) {
	f, c, _ := setup(t, false)
	_, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	f.ExpireTokens()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.CheckSubscription(context.Background(), broadcaster, "3003"); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
	assert.Equal(t, 1, f.RefreshesIssued(), "eight 401s, one refresh")
}

func TestCheckSubscription_RefreshesBeforeExpiry(t *testing.T) {
	var now atomic.Pointer[time.Time]
	start := time.Now()
	now.Store(&start)
	clock := func() time.Time { return *now.Load() }
	f, c, _ := setup(t, false, helix.WithClock(clock))

	accounts := c.Validate(context.Background())
	require.Len(t, accounts, 1)
	require.NoError(t, accounts[0].Err)
	assert.Equal(t, 1, f.Validations(), "validated at start to learn the expiry")
	_, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	assert.Zero(t, f.RefreshesIssued())

	later := start.Add(fakehelix.DefaultTokenTTL - time.Minute)
	now.Store(&later)
	_, err = c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	assert.Equal(t, 1, f.RefreshesIssued(), "renewed ahead of expiry")
	assert.Equal(t, 2, f.Requests("GET /helix/subscriptions"), "no 401 was needed")
}

func TestCheckSubscription_InvalidTokenWithoutRefreshIsUnauthorizedAndRemembered(t *testing.T) {
	f, _, cfg := setup(t, false)
	cfg.BroadcasterRefresh = ""
	c := helix.New(cfg)
	f.ExpireTokens()
	_, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.Error(t, err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.False(t, helix.Temporary(err))
	assert.Contains(t, err.Error(), "log in again")
	assertNoSecret(t, f, err)
	calls := f.Requests("GET /helix/subscriptions")
	_, err = c.CheckSubscription(context.Background(), broadcaster, "3003")
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.Equal(t, calls, f.Requests("GET /helix/subscriptions"), "no more 401s once the token is known dead")
}

func TestCheckSubscription_RefusedRefreshIsRememberedNotRetried(t *testing.T) {
	f, _, cfg := setup(t, false)
	cfg.BroadcasterToken = ""
	cfg.BroadcasterRefresh = "ur-not-a-real-refresh-token"
	c := helix.New(cfg)
	for i := 0; i < 5; i++ {
		_, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
		require.Error(t, err)
		assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
		assert.NotContains(t, err.Error(), cfg.BroadcasterRefresh)
		assert.NotContains(t, err.Error(), fakehelix.ClientSecret)
		assertNoSecret(t, f, err)
	}
	assert.Equal(t, 1, f.Requests("POST /oauth2/token"), "one refused refresh, not a loop of them")
}

func TestSendChatMessage_WrongClientSecretIsUnauthorized(t *testing.T) {
	f, _, cfg := setup(t, false)
	cfg.ClientSecret = "not-the-secret-value"
	c := helix.New(cfg)
	_, err := c.SendChatMessage(context.Background(), broadcaster, broadcaster, text)
	require.Error(t, err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.NotContains(t, err.Error(), cfg.ClientSecret)
	assertNoSecret(t, f, err)
}

func TestCheckSubscription_AnswersFromBroadcasterSubscriptions(t *testing.T) {
	f, c, _ := setup(t, true)
	f.SetSubscriber("3003", "1000")
	ok, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.CheckSubscription(context.Background(), broadcaster, "4004")
	require.NoError(t, err)
	assert.False(t, ok)
	f.SetSubscriber("3003", "")
	ok, err = c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestCheckSubscription_OtherChannelIsRefused(t *testing.T) {
	f, c, _ := setup(t, true)
	_, err := c.CheckSubscription(context.Background(), "9999", "3003")
	require.Error(t, err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assertNoSecret(t, f, err)
}

func TestCheckSubscription_WithoutBroadcasterTokenIsUnauthorized(t *testing.T) {
	f, _, cfg := setup(t, false)
	cfg.BroadcasterToken, cfg.BroadcasterRefresh = "", ""
	c := helix.New(cfg)
	_, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.Error(t, err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.Zero(t, f.Requests("GET /helix/subscriptions"))
}

// answerChallenges routes https://example.test to a receiver that echoes
// verification challenges, as ingest does.
func answerChallenges(t *testing.T, f *fakehelix.Server) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Challenge string `json:"challenge"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, body.Challenge)
	}))
	t.Cleanup(srv.Close)
	f.Route("https://example.test", srv.URL)
}

func TestEventSub_CreateListDelete(t *testing.T) {
	f, c, _ := setup(t, false)
	answerChallenges(t, f)
	ctx := context.Background()
	req := helix.ChatMessageSubscription(broadcaster, broadcaster, "https://example.test/api/twitch/eventsub", "s3cret-s3cret")
	sub, err := c.CreateEventSubSubscription(ctx, req)
	require.NoError(t, err)
	assert.NotEmpty(t, sub.ID)
	assert.Equal(t, "channel.chat.message", sub.Type)
	assert.Equal(t, "1", sub.Version)
	assert.Equal(t, map[string]string{"broadcaster_user_id": broadcaster, "user_id": broadcaster}, sub.Condition)
	assert.Equal(t, "webhook", sub.Transport.Method)
	assert.Empty(t, sub.Transport.Secret, "Twitch never returns the secret")

	_, err = c.CreateEventSubSubscription(ctx, req)
	assert.Equal(t, errs.Conflict, errs.CodeOf(err), "a subscription waiting for its verification counts")

	list, err := c.ListEventSubSubscriptions(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, sub.ID, list[0].ID)

	require.NoError(t, c.DeleteEventSubSubscription(ctx, sub.ID))
	assert.Equal(t, errs.NotFound, errs.CodeOf(c.DeleteEventSubSubscription(ctx, sub.ID)))
	list, err = c.ListEventSubSubscriptions(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Empty(t, f.Subscriptions())
}

func TestEventSub_UsesAppTokenEvenWithUserTokens(t *testing.T) {
	f, c, _ := setup(t, true)
	_, err := c.CreateEventSubSubscription(context.Background(),
		helix.ChatMessageSubscription(broadcaster, sender, "https://example.test/cb", "0123456789ab"))
	require.NoError(t, err)
	assert.Equal(t, 1, f.AppTokensIssued())
}

func TestAPIError_MessageNamesNoCredential(t *testing.T) {
	f, c, _ := setup(t, true)
	f.ExpireTokens()
	f.FailNext(1, http.StatusUnauthorized)
	_, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
	// 401 → refresh → retried once → success.
	require.NoError(t, err)
	f.FailNext(2, http.StatusUnauthorized)
	_, err = c.SendChatMessage(context.Background(), broadcaster, sender, text)
	require.Error(t, err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.False(t, strings.Contains(err.Error(), "Bearer"))
	assertNoSecret(t, f, err)
}

// The token endpoint is down just as tokens enter their renewal margin: the tokens
// still work for minutes, so the calls go on with them.
func TestTokensStillValidAreUsedWhileTheirEarlyRenewalCannotReachTwitch(t *testing.T) {
	f := fakehelix.New()
	t.Cleanup(f.Close)
	var down atomic.Bool
	target, err := url.Parse(f.URL())
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(auth.Close)
	cfg := config.Defaults()
	cfg.BroadcasterID, cfg.SenderID = broadcaster, sender
	cfg = f.Configure(cfg)
	cfg.AuthBaseURL = auth.URL
	var now atomic.Pointer[time.Time]
	start := time.Now()
	now.Store(&start)
	c := helix.New(cfg, helix.WithClock(func() time.Time { return *now.Load() }))

	for _, a := range c.Validate(context.Background()) {
		require.NoError(t, a.Err)
	}
	_, err = c.SendChatMessage(context.Background(), broadcaster, sender, text) // the app token
	require.NoError(t, err)
	issued := f.AppTokensIssued()

	later := start.Add(fakehelix.DefaultTokenTTL - time.Minute) // inside the margin, not expired
	now.Store(&later)
	down.Store(true)
	_, err = c.CheckSubscription(context.Background(), broadcaster, "3003")
	assert.NoError(t, err, "the broadcaster's token still works")
	_, err = c.SendChatMessage(context.Background(), broadcaster, sender, text)
	assert.NoError(t, err, "the app token still works")
	assert.Equal(t, issued, f.AppTokensIssued())
	assert.Zero(t, f.RefreshesIssued())

	down.Store(false)
	_, err = c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	assert.Equal(t, 1, f.RefreshesIssued(), "renewed once Twitch answers again")
}
