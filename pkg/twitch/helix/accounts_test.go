package helix_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/helix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

func TestValidate_ReportsEachAccountAndSenderIDComesFromTheToken(t *testing.T) {
	f, _, cfg := setup(t, true)
	// The environment says the sender is 9999, but the token is 2002's: the token wins.
	cfg.SenderID = "9999"
	c := helix.New(cfg)
	accounts := c.Validate(context.Background())
	require.Len(t, accounts, 2)
	assert.Equal(t, oauth.Broadcaster, accounts[0].Role)
	assert.Equal(t, broadcaster, accounts[0].UserID)
	assert.Equal(t, fakehelix.BroadcasterScopes, accounts[0].Scopes)
	assert.Equal(t, "environment", accounts[0].Source)
	assert.Equal(t, oauth.Bot, accounts[1].Role)
	assert.Equal(t, sender, accounts[1].UserID)
	assert.Greater(t, accounts[1].ExpiresIn, time.Hour)
	id, err := c.SenderID(context.Background())
	require.NoError(t, err)
	assert.Equal(t, sender, id)
	assert.Equal(t, 2, f.Validations())
	assert.Empty(t, oauth.Check(accounts[0].Account(), accounts[1].Account(), oauth.Announcements, oauth.SubscriberCheck, oauth.ChatWebhook, oauth.ChatWebSocket))
}

func TestValidate_RevokedGrantIsReportedPlainly(t *testing.T) {
	f, c, _ := setup(t, false)
	f.RevokeAuthorization(broadcaster)
	accounts := c.Validate(context.Background())
	require.Len(t, accounts, 1)
	require.Error(t, accounts[0].Err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(accounts[0].Err))
	assert.Contains(t, accounts[0].Err.Error(), "log in again")
	assert.Nil(t, accounts[0].Account())
	posts := f.Requests("POST /oauth2/token")
	c.Validate(context.Background())
	_, err := c.CheckSubscription(context.Background(), broadcaster, "1")
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.Equal(t, posts, f.Requests("POST /oauth2/token"), "no loop of refreshes")
	assert.Equal(t, int64(1), c.Metrics().RenewalsRefused.Load())
}

func TestKeepValidated_ValidatesAtStartAndThenEveryInterval(t *testing.T) {
	f, c, _ := setup(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rounds atomic.Int32
	go c.KeepValidated(ctx, 20*time.Millisecond, func(a []helix.AccountStatus) {
		if len(a) == 1 && a[0].Err == nil {
			rounds.Add(1)
		}
	})
	testenv.Eventually(t, 10*time.Second, func() bool { return rounds.Load() >= 3 }, "three validation rounds")
	assert.GreaterOrEqual(t, f.Validations(), 3)
}

func TestStoredTokens_UsedWhenTheEnvironmentHasNoneAndEnvironmentWins(t *testing.T) {
	t.Parallel()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	cfg := f.Configure(config.Defaults())
	store, err := tokenstore.Open(context.Background(), testenv.Postgres(t), tokenstore.NewKey())
	require.NoError(t, err)
	t.Cleanup(store.Close)
	access, refresh := f.IssueUserToken(broadcaster, fakehelix.BroadcasterScopes...)
	_, err = store.Save(context.Background(), tokenstore.Grant{Role: oauth.Broadcaster, UserID: broadcaster, Access: access, Refresh: refresh})
	require.NoError(t, err)
	f.SetSubscriber("3003", "1000")

	oc := helix.New(cfg).OAuth()
	c := helix.New(cfg, helix.WithUserTokens(oauth.Broadcaster, store.Source(oauth.Broadcaster, oc)))
	ok, err := c.CheckSubscription(context.Background(), broadcaster, "3003")
	require.NoError(t, err)
	assert.True(t, ok)
	st := c.Validate(context.Background())
	require.Len(t, st, 1)
	assert.Equal(t, "token store", st[0].Source)
	g, err := store.Get(context.Background(), oauth.Broadcaster)
	require.NoError(t, err)
	assert.Equal(t, fakehelix.BroadcasterScopes, g.Scopes, "validation is recorded in the store")
	assert.False(t, g.ValidatedAt.IsZero())

	envCfg := cfg
	envCfg.BroadcasterToken, envCfg.BroadcasterRefresh = f.IssueUserToken(broadcaster, fakehelix.BroadcasterScopes...)
	c = helix.New(envCfg, helix.WithUserTokens(oauth.Broadcaster, store.Source(oauth.Broadcaster, oc)))
	assert.Equal(t, "environment", c.Validate(context.Background())[0].Source, "environment tokens win when set")
}

func TestEventSub_WebSocketSubscriptionUsesTheReadersUserToken(t *testing.T) {
	f, c, _ := setup(t, true)
	_, err := c.CreateEventSubSubscription(context.Background(), helix.ChatMessageWebSocketSubscription(broadcaster, sender, "no-such-session"))
	require.Error(t, err)
	assert.Equal(t, errs.Invalid, errs.CodeOf(err), "the fake refused the session, not the token")
	assert.Zero(t, f.AppTokensIssued())
}

func TestSendChatMessage_APublicClientPostsWithTheSendersUserToken(t *testing.T) {
	f, _, cfg := setup(t, true)
	cfg.ClientSecret = ""
	c := helix.New(cfg)
	_, err := c.SendChatMessage(context.Background(), broadcaster, sender, text)
	require.NoError(t, err)
	require.Len(t, f.Posts(), 1)
	assert.False(t, f.Posts()[0].AppToken)
	assert.Zero(t, f.AppTokensIssued())
}
