package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

func setup(t *testing.T) (*fakehelix.Server, *oauth.Client) {
	t.Helper()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	f.SetDeviceTiming(time.Minute, 1)
	return f, &oauth.Client{BaseURL: f.URL(), ClientID: fakehelix.ClientID, ClientSecret: fakehelix.ClientSecret}
}

// approveWhenAsked plays the user: it waits for the pending login and answers it.
func approveWhenAsked(t *testing.T, f *fakehelix.Server, answer func(code string) error) {
	t.Helper()
	go func() {
		for i := 0; i < 500; i++ {
			if p := f.PendingLogins(); len(p) > 0 {
				assert.NoError(t, answer(p[0].UserCode))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
}

func TestDevice_LoginThatTheUserApproves(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	d, err := c.StartDevice(ctx, oauth.LoginScopes(oauth.Bot))
	require.NoError(t, err)
	assert.Len(t, d.UserCode, 8)
	assert.Contains(t, d.VerificationURI, d.UserCode)
	approveWhenAsked(t, f, func(code string) error { return f.Approve(code, "4242") })
	tok, err := c.Wait(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, oauth.LoginScopes(oauth.Bot), tok.Scopes)
	assert.NotEmpty(t, tok.Refresh)
	v, err := c.Validate(ctx, tok.Access)
	require.NoError(t, err)
	assert.Equal(t, "4242", v.UserID)
	assert.Equal(t, oauth.LoginScopes(oauth.Bot), v.Scopes)
}

func TestDevice_LoginThatTheUserDenies(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	d, err := c.StartDevice(ctx, []string{oauth.ScopeUserReadChat})
	require.NoError(t, err)
	approveWhenAsked(t, f, f.Deny)
	_, err = c.Wait(ctx, d)
	assert.ErrorIs(t, err, oauth.ErrDenied)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
}

func TestDevice_LoginThatTheUserLetsExpire(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	f.SetDeviceTiming(2*time.Second, 1)
	d, err := c.StartDevice(context.Background(), []string{oauth.ScopeUserReadChat})
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Wait(context.Background(), d)
	assert.ErrorIs(t, err, oauth.ErrExpired)
	assert.Less(t, time.Since(start), 10*time.Second, "gives up when the code runs out")
	assert.GreaterOrEqual(t, f.Requests("POST /oauth2/token"), 1)
}

func TestDevice_SlowDownLengthensTheInterval(t *testing.T) {
	t.Parallel()
	// A server that says slow_down once, then approves.
	polls := 0
	var at []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth2/device":
			_, _ = w.Write([]byte(`{"device_code":"d","expires_in":60,"interval":1,"user_code":"ABCDEFGH","verification_uri":"https://x/activate"}`))
		case "/oauth2/token":
			polls++
			at = append(at, time.Now())
			if polls == 1 {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"status":400,"message":"slow_down"}`))
				return
			}
			_, _ = w.Write([]byte(`{"access_token":"a","refresh_token":"r","expires_in":100,"scope":["user:read:chat"],"token_type":"bearer"}`))
		}
	}))
	defer srv.Close()
	c := &oauth.Client{BaseURL: srv.URL, ClientID: "x"}
	d, err := c.StartDevice(context.Background(), []string{"user:read:chat"})
	require.NoError(t, err)
	tok, err := c.Wait(context.Background(), d)
	require.NoError(t, err)
	assert.Equal(t, "a", tok.Access)
	require.Len(t, at, 2)
	assert.GreaterOrEqual(t, at[1].Sub(at[0]), 6*time.Second-100*time.Millisecond, "interval + 5 s after slow_down")
}

func TestRefresh_RotatesAndASpentTokenIsInvalidGrant(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	_, rt := f.IssueUserToken("1", oauth.ScopeChannelReadSubscriptions)
	tok, err := c.Refresh(context.Background(), rt)
	require.NoError(t, err)
	assert.NotEqual(t, rt, tok.Refresh)
	assert.Equal(t, []string{oauth.ScopeChannelReadSubscriptions}, tok.Scopes)
	_, err = c.Refresh(context.Background(), rt)
	assert.ErrorIs(t, err, oauth.ErrInvalidGrant)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.NotContains(t, err.Error(), rt)
}

func TestValidateRevokeAndClientCredentials(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	app, err := c.ClientCredentials(ctx)
	require.NoError(t, err)
	v, err := c.Validate(ctx, app.Access)
	require.NoError(t, err)
	assert.Empty(t, v.UserID)
	assert.Greater(t, v.ExpiresIn, time.Hour)

	access, _ := f.IssueUserToken("9", oauth.ScopeUserReadChat)
	require.NoError(t, c.Revoke(ctx, access))
	require.NoError(t, c.Revoke(ctx, access), "revoking twice is fine")
	_, err = c.Validate(ctx, access)
	assert.ErrorIs(t, err, oauth.ErrInvalidToken)

	bad := *c
	bad.ClientSecret = "wrong"
	_, err = bad.ClientCredentials(ctx)
	assert.ErrorIs(t, err, oauth.ErrBadClient)
	assert.False(t, strings.Contains(err.Error(), "wrong"))
}

func TestTransportErrorsAreUnavailable(t *testing.T) {
	t.Parallel()
	c := &oauth.Client{BaseURL: "http://127.0.0.1:1", ClientID: "x"}
	_, err := c.Refresh(context.Background(), "secret-refresh")
	assert.Equal(t, errs.Unavailable, errs.CodeOf(err))
	assert.False(t, errors.Is(err, oauth.ErrInvalidGrant))
	assert.NotContains(t, err.Error(), "secret-refresh")
}

func TestCheck_NamesWhatEachFeatureLacks(t *testing.T) {
	t.Parallel()
	full := &oauth.Account{UserID: "1", Scopes: oauth.LoginScopes(oauth.Broadcaster)}
	assert.Empty(t, oauth.Check(full, nil, oauth.Announcements, oauth.SubscriberCheck, oauth.ChatWebhook, oauth.ChatWebSocket))

	old := &oauth.Account{UserID: "1", Scopes: []string{oauth.ScopeChannelReadSubscriptions, oauth.ScopeUserWriteChat}}
	gaps := oauth.Check(old, nil, oauth.Announcements, oauth.SubscriberCheck, oauth.ChatWebSocket)
	var lines []string
	for _, g := range gaps {
		lines = append(lines, g.String())
	}
	assert.Equal(t, []string{
		"announcements: the broadcaster (1) account has not granted user:bot",
		"announcements: the broadcaster (1) account has not granted channel:bot",
		"chat over WebSocket: the broadcaster (1) account has not granted user:read:chat",
	}, lines)

	bot := &oauth.Account{UserID: "2", Scopes: oauth.LoginScopes(oauth.Bot)}
	gaps = oauth.Check(nil, bot, oauth.Announcements, oauth.SubscriberCheck)
	require.Len(t, gaps, 2)
	assert.Equal(t, "announcements: the broadcaster account is not logged in", gaps[0].String())
	assert.Equal(t, oauth.SubscriberCheck, gaps[1].Feature)
}
