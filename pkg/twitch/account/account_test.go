package account_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/account"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

const broadcaster = "1001"

func setup(t *testing.T) (*fakehelix.Server, *account.Manager) {
	t.Helper()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	f.SetDeviceTiming(time.Minute, 1)
	cfg := config.Defaults()
	cfg.BroadcasterID = broadcaster
	cfg.ClientID, cfg.ClientSecret, cfg.AuthBaseURL = fakehelix.ClientID, fakehelix.ClientSecret, f.URL()
	store, err := tokenstore.Open(context.Background(), testenv.Postgres(t), tokenstore.NewKey())
	require.NoError(t, err)
	t.Cleanup(store.Close)
	return f, &account.Manager{Config: cfg, Store: store,
		OAuth: &oauth.Client{BaseURL: f.URL(), ClientID: fakehelix.ClientID, ClientSecret: fakehelix.ClientSecret}}
}

var codeRE = regexp.MustCompile(`code  ([A-Z]{8})`)

// user plays the person at the browser: reads the code the login printed and answers.
func user(t *testing.T, out *testenv.Buffer, answer func(code string) error) {
	go func() {
		for i := 0; i < 1000; i++ {
			if m := codeRE.FindStringSubmatch(out.String()); m != nil {
				assert.NoError(t, answer(m[1]))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
}

func TestLogin_ApprovedStoresTheGrantAndStatusShowsIt(t *testing.T) {
	t.Parallel()
	f, m := setup(t)
	out := &testenv.Buffer{}
	user(t, out, func(code string) error { return f.Approve(code, broadcaster) })
	g, err := m.Login(context.Background(), oauth.Broadcaster, out)
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), f.URL()+"/activate")
	assert.Contains(t, out.String(), "Logged in as user1001 (user id 1001)")
	assert.Equal(t, oauth.LoginScopes(oauth.Broadcaster), g.Scopes)
	stored, err := m.Store.Get(context.Background(), oauth.Broadcaster)
	require.NoError(t, err)
	assert.Equal(t, g.Access, stored.Access)

	r, err := m.Status(context.Background(), true)
	require.NoError(t, err)
	assert.Empty(t, r.Gaps)
	var buf bytes.Buffer
	r.Print(&buf, time.Now())
	assert.Contains(t, buf.String(), "token store")
	assert.Contains(t, buf.String(), "every feature has the scopes it needs")
	assert.NotContains(t, buf.String(), g.Access)
}

func TestLogin_DeniedOrExpiredStoresNothing(t *testing.T) {
	t.Parallel()
	f, m := setup(t)
	out := &testenv.Buffer{}
	user(t, out, f.Deny)
	_, err := m.Login(context.Background(), oauth.Broadcaster, out)
	assert.ErrorContains(t, err, "refused")

	f.SetDeviceTiming(2*time.Second, 1)
	_, err = m.Login(context.Background(), oauth.Bot, &testenv.Buffer{})
	assert.ErrorContains(t, err, "expired")
	all, err := m.Store.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, all)
}

func TestLogin_TheWrongAccountForTheBroadcasterIsRefusedAndRevoked(t *testing.T) {
	t.Parallel()
	f, m := setup(t)
	out := &testenv.Buffer{}
	user(t, out, func(code string) error { return f.Approve(code, "5555") })
	_, err := m.Login(context.Background(), oauth.Broadcaster, out)
	assert.ErrorContains(t, err, "TWITCH_BROADCASTER_ID is 1001")
	assert.Equal(t, 1, f.Revocations())
	_, err = m.Store.Get(context.Background(), oauth.Broadcaster)
	assert.ErrorIs(t, err, tokenstore.ErrNotLoggedIn)
}

func TestStatus_SaysWhatEachFeatureLacks(t *testing.T) {
	t.Parallel()
	f, m := setup(t)
	access, refresh := f.IssueUserToken(broadcaster, "channel:read:subscriptions")
	_, err := m.Store.Save(context.Background(), tokenstore.Grant{Role: oauth.Broadcaster, UserID: broadcaster, Access: access, Refresh: refresh})
	require.NoError(t, err)
	m.Config.EventSubTransport = "websocket"
	r, err := m.Status(context.Background(), true)
	require.NoError(t, err)
	var buf bytes.Buffer
	r.Print(&buf, time.Now())
	s := buf.String()
	assert.Contains(t, s, "announcements: the broadcaster (1001) account has not granted user:write:chat, user:bot")
	assert.Contains(t, s, "announcements: the broadcaster (1001) account has not granted channel:bot")
	assert.Contains(t, s, "chat over WebSocket: the broadcaster (1001) account has not granted user:read:chat")
	assert.NotContains(t, s, "subscriber check")
	assert.Contains(t, s, "none (optional")

	f.RevokeAuthorization(broadcaster)
	r, err = m.Status(context.Background(), true)
	require.NoError(t, err)
	assert.NotEmpty(t, r.Accounts[0].Problem)
}

func TestLogout_RevokesAndForgets(t *testing.T) {
	t.Parallel()
	f, m := setup(t)
	access, refresh := f.IssueUserToken(broadcaster, oauth.LoginScopes(oauth.Broadcaster)...)
	_, err := m.Store.Save(context.Background(), tokenstore.Grant{Role: oauth.Broadcaster, UserID: broadcaster, Access: access, Refresh: refresh})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, m.Logout(context.Background(), oauth.Broadcaster, &out))
	assert.Contains(t, out.String(), "revoked and forgotten")
	assert.GreaterOrEqual(t, f.Revocations(), 1)
	_, err = m.OAuth.Validate(context.Background(), access)
	assert.ErrorIs(t, err, oauth.ErrInvalidToken)
	_, err = m.Store.Get(context.Background(), oauth.Broadcaster)
	assert.ErrorIs(t, err, tokenstore.ErrNotLoggedIn)
	out.Reset()
	require.NoError(t, m.Logout(context.Background(), oauth.Broadcaster, &out))
	assert.Contains(t, out.String(), "no broadcaster account")
}

func TestLogin_NeedsTheKey(t *testing.T) {
	t.Parallel()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	store, err := tokenstore.Open(context.Background(), testenv.Postgres(t), "")
	require.NoError(t, err)
	t.Cleanup(store.Close)
	m := &account.Manager{Store: store, OAuth: &oauth.Client{BaseURL: f.URL(), ClientID: fakehelix.ClientID}}
	_, err = m.Login(context.Background(), oauth.Broadcaster, &bytes.Buffer{})
	assert.ErrorContains(t, err, "MGM_TOKEN_KEY")
	assert.Zero(t, f.Requests("POST /oauth2/device"))
}

func TestCommand_LoginStatusLogoutFromTheCommandLine(t *testing.T) {
	t.Parallel()
	f, m := setup(t)
	cfg := m.Config
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.TokenKey = tokenstore.NewKey()
	out := &testenv.Buffer{}
	user(t, out, func(code string) error { return f.Approve(code, broadcaster) })
	require.NoError(t, account.Command(context.Background(), cfg, []string{"login"}, out), out.String())
	assert.Contains(t, out.String(), "Logged in as user1001")

	var buf bytes.Buffer
	require.NoError(t, account.Command(context.Background(), cfg, []string{"status", "-live"}, &buf))
	assert.Contains(t, buf.String(), "user1001 (1001)")

	buf.Reset()
	require.NoError(t, account.Command(context.Background(), cfg, []string{"logout"}, &buf))
	assert.Contains(t, buf.String(), "revoked and forgotten")

	for _, args := range [][]string{{}, {"frobnicate"}, {"login", "-account", "cat"}, {"status", "extra"}} {
		buf.Reset()
		assert.ErrorIs(t, account.Command(context.Background(), cfg, args, &buf), account.ErrUsage, "%v", args)
		assert.Contains(t, buf.String(), "usage")
	}
	bare := cfg
	bare.ClientID = ""
	assert.ErrorContains(t, account.Command(context.Background(), bare, []string{"status"}, &buf), "dev.twitch.tv/console")
}

func TestCommand_ALostKeyIsForgottenThenTheLoginWorksWithANewOne(t *testing.T) {
	t.Parallel()
	f, m := setup(t)
	cfg := m.Config
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.TokenKey = tokenstore.NewKey()
	out := &testenv.Buffer{}
	user(t, out, func(code string) error { return f.Approve(code, broadcaster) })
	require.NoError(t, account.Command(context.Background(), cfg, []string{"login"}, out), out.String())

	// The key is lost: a new one cannot open what the old one sealed…
	cfg.TokenKey = tokenstore.NewKey()
	var buf bytes.Buffer
	assert.ErrorIs(t, account.Command(context.Background(), cfg, []string{"login"}, &buf), tokenstore.ErrWrongKey)
	// …until the stored logins are forgotten.
	require.NoError(t, account.Command(context.Background(), cfg, []string{"forget"}, &buf))
	assert.Contains(t, buf.String(), "forgot 1 stored login(s)")
	out = &testenv.Buffer{}
	user(t, out, func(code string) error { return f.Approve(code, broadcaster) })
	require.NoError(t, account.Command(context.Background(), cfg, []string{"login"}, out), out.String())
	assert.Contains(t, out.String(), "Logged in as user1001")
}
