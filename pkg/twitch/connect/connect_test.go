package connect_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/connect"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

const broadcaster = "1001"

func TestConnect_StoredLoginIsUsedAndAWithdrawnOneIsReportedPlainly(t *testing.T) {
	t.Parallel()
	f := fakehelix.New()
	t.Cleanup(f.Close)
	cfg := config.Defaults()
	cfg.BroadcasterID = broadcaster
	cfg = f.Configure(cfg)
	cfg.BroadcasterToken, cfg.BroadcasterRefresh = "", "" // only the store
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.TokenKey = tokenstore.NewKey()
	store, err := tokenstore.Open(context.Background(), cfg.DatabaseURL, cfg.TokenKey)
	require.NoError(t, err)
	access, refresh := f.IssueUserToken(broadcaster, fakehelix.BroadcasterScopes...)
	_, err = store.Save(context.Background(), tokenstore.Grant{Role: oauth.Broadcaster, UserID: broadcaster, Access: access, Refresh: refresh})
	require.NoError(t, err)
	store.Close()

	core, logs := observer.New(zap.InfoLevel)
	reg := prometheus.NewRegistry()
	c, err := connect.Open(context.Background(), cfg, connect.Options{Log: zap.New(core), Metrics: reg,
		Features: []oauth.Feature{oauth.Announcements, oauth.SubscriberCheck, oauth.ChatWebSocket}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	accounts, gaps := c.Check(context.Background())
	require.Len(t, accounts, 1)
	assert.Equal(t, "token store", accounts[0].Source)
	assert.Empty(t, gaps)
	assert.Equal(t, 1, logs.FilterMessage("twitch: every feature this service uses has the scopes it needs").Len())
	assert.Equal(t, 1.0, testutil.ToFloat64(mustGauge(t, reg, "mgm_twitch_account_usable")))

	f.RevokeAuthorization(broadcaster)
	accounts, gaps = c.Check(context.Background())
	require.Error(t, accounts[0].Err)
	assert.NotEmpty(t, gaps)
	bad := logs.FilterMessage("twitch account cannot be used").All()
	require.Len(t, bad, 1)
	assert.Contains(t, bad[0].ContextMap()["why"], "log in again")
	assert.Equal(t, 0.0, testutil.ToFloat64(mustGauge(t, reg, "mgm_twitch_account_usable")))
	n, err := testutil.GatherAndCount(reg, "mgm_twitch_token_renewals_refused_total")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	posts := f.Requests("POST /oauth2/token")
	c.Check(context.Background())
	assert.Equal(t, posts, f.Requests("POST /oauth2/token"), "the refusal is remembered across checks")
	assert.Len(t, logs.FilterMessage("twitch account cannot be used").All(), 1, "an unchanged state is not logged again")
}

func TestConnect_RefusesStoredTokensWithoutTheKey(t *testing.T) {
	t.Parallel()
	cfg := config.Defaults()
	cfg.DatabaseURL = testenv.Postgres(t)
	key := tokenstore.NewKey()
	s, err := tokenstore.Open(context.Background(), cfg.DatabaseURL, key)
	require.NoError(t, err)
	_, err = s.Save(context.Background(), tokenstore.Grant{Role: oauth.Broadcaster, UserID: "1", Access: "a", Refresh: "r"})
	require.NoError(t, err)
	s.Close()
	_, err = connect.Open(context.Background(), cfg, connect.Options{})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "MGM_TOKEN_KEY"))
}

func mustGauge(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name})
			g.Set(mf.GetMetric()[0].GetGauge().GetValue())
			return g
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}
