package tokenstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

func open(t *testing.T, url, key string) *tokenstore.Store {
	t.Helper()
	s, err := tokenstore.Open(context.Background(), url, key)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func fake(t *testing.T) (*fakehelix.Server, *oauth.Client) {
	t.Helper()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	return f, &oauth.Client{BaseURL: f.URL(), ClientID: fakehelix.ClientID, ClientSecret: fakehelix.ClientSecret}
}

func TestStore_EncryptedAtRestAndRefusesToOpenWithoutTheKey(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()

	bare := open(t, url, "")
	_, err := bare.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: "a", Refresh: "r"})
	assert.ErrorIs(t, err, tokenstore.ErrKeyMissing, "nothing is stored in the clear")

	key := tokenstore.NewKey()
	s := open(t, url, key)
	_, err = s.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Login: "streamer",
		Access: "access-plaintext-123", Refresh: "refresh-plaintext-456", Scopes: []string{"channel:bot"}})
	require.NoError(t, err)

	var raw string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT access_enc::text || refresh_enc::text || encode(access_enc, 'escape') || encode(refresh_enc, 'escape') FROM grants`).Scan(&raw))
	assert.NotContains(t, raw, "plaintext")

	_, err = tokenstore.Open(ctx, url, "")
	assert.ErrorIs(t, err, tokenstore.ErrKeyMissing)
	_, err = tokenstore.Open(ctx, url, tokenstore.NewKey())
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey)
	_, err = tokenstore.Open(ctx, url, "not base64!")
	assert.ErrorContains(t, err, "openssl rand -base64 32")

	again := open(t, url, key)
	g, err := again.Get(ctx, oauth.Broadcaster)
	require.NoError(t, err)
	assert.Equal(t, "access-plaintext-123", g.Access)
	assert.Equal(t, "refresh-plaintext-456", g.Refresh)
	assert.Equal(t, []string{"channel:bot"}, g.Scopes)
	assert.Equal(t, "streamer", g.Login)
	_, err = again.Get(ctx, oauth.Bot)
	assert.ErrorIs(t, err, tokenstore.ErrNotLoggedIn)
}

func TestStore_SealedValuesAreBoundToTheirRoleAndColumn(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	s := open(t, url, tokenstore.NewKey())
	_, err := s.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: "a1", Refresh: "r1"})
	require.NoError(t, err)
	_, err = s.Save(ctx, tokenstore.Grant{Role: oauth.Bot, UserID: "2", Access: "a2", Refresh: "r2"})
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `UPDATE grants SET access_enc = (SELECT access_enc FROM grants WHERE role = 'broadcaster') WHERE role = 'bot'`)
	require.NoError(t, err)
	_, err = s.Get(ctx, oauth.Bot)
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey, "a ciphertext copied to another row does not open")
}

func TestSource_RefreshRotatesThenARestartUsesTheRotatedToken(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	f, oc := fake(t)
	key := tokenstore.NewKey()
	access, refresh := f.IssueUserToken("1", fakehelix.BroadcasterScopes...)
	s := open(t, url, key)
	_, err := s.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: access, Refresh: refresh})
	require.NoError(t, err)

	next, err := s.Source(oauth.Broadcaster, oc).Renew(ctx, access)
	require.NoError(t, err)
	assert.NotEqual(t, access, next)
	g, err := s.Get(ctx, oauth.Broadcaster)
	require.NoError(t, err)
	assert.NotEqual(t, refresh, g.Refresh, "the rotated refresh token is stored at once")
	assert.False(t, g.ExpiresAt.IsZero())

	// A restart: a new store and source, the old in-memory state gone. The old refresh
	// token is spent on Twitch's side; the stored, rotated one works.
	s.Close()
	s2 := open(t, url, key)
	after, err := s2.Source(oauth.Broadcaster, oc).Renew(ctx, next)
	require.NoError(t, err)
	assert.NotEqual(t, next, after)
	assert.Equal(t, 2, f.RefreshesIssued())
}

func TestSource_TwoReplicasRefreshingAtOnceMakeOneGrant(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	f, oc := fake(t)
	key := tokenstore.NewKey()
	access, refresh := f.IssueUserToken("1", fakehelix.BroadcasterScopes...)
	a, b := open(t, url, key), open(t, url, key)
	_, err := a.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: access, Refresh: refresh})
	require.NoError(t, err)

	var wg sync.WaitGroup
	got := make([]string, 8)
	errsSeen := make([]error, 8)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st := a
			if i%2 == 1 {
				st = b
			}
			got[i], errsSeen[i] = st.Source(oauth.Broadcaster, oc).Renew(ctx, access)
		}(i)
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errsSeen[i])
		assert.Equal(t, got[0], got[i], "every caller ends with the same new token")
	}
	assert.Equal(t, 1, f.RefreshesIssued(), "one grant for two replicas and eight callers")
}

func TestSource_RevokedGrantIsRememberedNotRetried(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	f, oc := fake(t)
	access, refresh := f.IssueUserToken("1", fakehelix.BroadcasterScopes...)
	s := open(t, url, tokenstore.NewKey())
	_, err := s.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: access, Refresh: refresh})
	require.NoError(t, err)
	f.RevokeAuthorization("1")

	src := s.Source(oauth.Broadcaster, oc)
	_, err = src.Renew(ctx, access)
	require.Error(t, err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.True(t, errors.Is(err, oauth.ErrInvalidGrant))
	assert.Contains(t, err.Error(), "log in again")
	posts := f.Requests("POST /oauth2/token")

	for i := 0; i < 5; i++ {
		_, err = src.Token(ctx)
		assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
		_, err = s.Source(oauth.Broadcaster, oc).Renew(ctx, access)
		assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	}
	assert.Equal(t, posts, f.Requests("POST /oauth2/token"), "a refused grant is not asked for again")
	g, err := s.Get(ctx, oauth.Broadcaster)
	require.NoError(t, err)
	assert.True(t, strings.Contains(g.Problem, "mgm twitch login"))

	// A new login clears it.
	access, refresh = f.IssueUserToken("1", fakehelix.BroadcasterScopes...)
	_, err = s.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: access, Refresh: refresh})
	require.NoError(t, err)
	tok, err := src.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, access, tok)
}

// Twitch answers the refresh just as the caller's deadline passes: the rotated grant has
// been issued (and, with rotation, the old refresh token spent), so it must be stored
// all the same — otherwise the deployment is left holding a spent refresh token and
// only a new login helps.
func TestStore_ARefreshAnsweredAsTheCallersDeadlinePassesIsStillStored(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	s := open(t, url, tokenstore.NewKey())
	_, err := s.Save(context.Background(), tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: "a1", Refresh: "r1"})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	g, err := s.Refresh(ctx, oauth.Broadcaster, "a1", func(context.Context, string) (oauth.Token, error) {
		cancel()
		return oauth.Token{Access: "a2", Refresh: "r2", ExpiresIn: time.Hour}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, "a2", g.Access)
	stored, err := s.Get(context.Background(), oauth.Broadcaster)
	require.NoError(t, err)
	assert.Equal(t, "r2", stored.Refresh, "the rotated refresh token is kept")
}

// The token endpoint is unreachable when a token nears its expiry: the token is still
// good for a while, so calls go on with it instead of failing before they must.
func TestSource_AStillValidTokenIsUsedWhenTheEarlyRenewalCannotReachTwitch(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	s := open(t, url, tokenstore.NewKey())
	_, err := s.Save(ctx, tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: "a1", Refresh: "r1"})
	require.NoError(t, err)
	// Issued four hours ago, one minute left: inside the renewal margin.
	_, err = s.Pool().Exec(ctx, `UPDATE grants SET updated_at = now() - interval '4 hours', expires_at = now() + interval '1 minute'`)
	require.NoError(t, err)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	oc := &oauth.Client{BaseURL: down.URL, ClientID: fakehelix.ClientID, ClientSecret: fakehelix.ClientSecret}

	tok, err := s.Source(oauth.Broadcaster, oc).Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a1", tok)
}
