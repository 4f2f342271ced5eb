package reconcile_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/helix"
	"github.com/mimiron/mgm/pkg/twitch/reconcile"
)

const broadcaster = "1001"

// echo answers verification challenges unless refuse is set.
func echo(t *testing.T, refuse *atomic.Bool) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Challenge string `json:"challenge"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if refuse != nil && refuse.Load() {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, body.Challenge)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func setup(t *testing.T) (*fakehelix.Server, *helix.Client, reconcile.Webhook) {
	f := fakehelix.New()
	t.Cleanup(f.Close)
	cfg := config.Defaults()
	cfg.BroadcasterID = broadcaster
	cfg = f.Configure(cfg)
	f.Route("https://mgm.example.com", echo(t, nil))
	f.Route("https://old.example.com", echo(t, nil))
	return f, helix.New(cfg), reconcile.Webhook{BroadcasterID: broadcaster, ReaderID: broadcaster,
		Callback: "https://mgm.example.com/api/twitch/eventsub", Secret: "0123456789-secret"}
}

func waitEnabled(t *testing.T, f *fakehelix.Server, id string) {
	testenv.Eventually(t, 10*time.Second, func() bool { s, ok := f.Subscription(id); return ok && s.Status == fakehelix.StatusEnabled }, "subscription enabled")
}

func TestReconcile_CreatesWhenMissingAndNeverTwice(t *testing.T) {
	f, c, w := setup(t)
	ctx := context.Background()
	r, err := reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	require.NotNil(t, r.Created)
	waitEnabled(t, f, r.Created.ID)

	for i := 0; i < 3; i++ {
		r, err = reconcile.Reconcile(ctx, c, w)
		require.NoError(t, err)
		assert.Nil(t, r.Created)
		require.NotNil(t, r.Kept)
		assert.Empty(t, r.Removed)
	}
	assert.Len(t, f.Subscriptions(), 1)
}

func TestReconcile_RemovesOneAtAnOldCallbackOrReader(t *testing.T) {
	f, c, w := setup(t)
	ctx := context.Background()
	old := w
	old.Callback = "https://old.example.com/api/twitch/eventsub"
	r, err := reconcile.Reconcile(ctx, c, old)
	require.NoError(t, err)
	waitEnabled(t, f, r.Created.ID)
	other := f.Subscriptions()
	require.Len(t, other, 1)

	r, err = reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err, "the old one is removed first, so Twitch does not answer 409")
	require.Len(t, r.Removed, 1)
	assert.Equal(t, old.Callback, r.Removed[0].Transport.Callback)
	require.NotNil(t, r.Created)
	subs := f.Subscriptions()
	require.Len(t, subs, 1)
	assert.Equal(t, w.Callback, subs[0].Transport.Callback)

	// A bot account appears: the reader changes.
	f.Authorize("2002", fakehelix.BotScopes...)
	w.ReaderID = "2002"
	waitEnabled(t, f, subs[0].ID)
	r, err = reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	assert.Len(t, r.Removed, 1)
	require.NotNil(t, r.Created)
	assert.Equal(t, "2002", r.Created.Condition["user_id"])
}

func TestReconcile_ReportsAndReplacesAFailedOne(t *testing.T) {
	f, c, w := setup(t)
	ctx := context.Background()
	var refuse atomic.Bool
	refuse.Store(true)
	f.Route("https://mgm.example.com", echo(t, &refuse))
	r, err := reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	testenv.Eventually(t, 10*time.Second, func() bool {
		s, _ := f.Subscription(r.Created.ID)
		return s.Status == fakehelix.StatusVerificationFailed
	}, "verification failed")

	refuse.Store(false)
	r2, err := reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	require.Len(t, r2.Failed, 1)
	assert.Equal(t, fakehelix.StatusVerificationFailed, r2.Failed[0].Status)
	require.NotNil(t, r2.Created)
	waitEnabled(t, f, r2.Created.ID)
	assert.Len(t, f.Subscriptions(), 1)
}

func TestReconcile_ARevokedAuthorisationAsksForALoginInsteadOfRecreating(t *testing.T) {
	f, c, w := setup(t)
	ctx := context.Background()
	r, err := reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	waitEnabled(t, f, r.Created.ID)
	f.RevokeAuthorization(broadcaster)
	testenv.Eventually(t, 10*time.Second, func() bool {
		s, _ := f.Subscription(r.Created.ID)
		return s.Status == fakehelix.StatusAuthorizationRevoked
	}, "revoked")
	r, err = reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	assert.Contains(t, r.LogInAgain, "mgm twitch login")
	assert.Nil(t, r.Created)
	assert.Equal(t, reconcile.LogInAgain, reconcile.Revoked(fakehelix.StatusUserRemoved).Action)
	assert.Equal(t, reconcile.Recreate, reconcile.Revoked(fakehelix.StatusNotificationFailuresExceeded).Action)
	assert.Equal(t, reconcile.Recreate, reconcile.Revoked(fakehelix.StatusVersionRemoved).Action)
}

func TestClearWebhooks_RemovesThisChannelsWebhooksOnly(t *testing.T) {
	f, c, w := setup(t)
	ctx := context.Background()
	_, err := reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	f.Authorize("7", fakehelix.BroadcasterScopes...)
	_, err = reconcile.Reconcile(ctx, c, reconcile.Webhook{BroadcasterID: "7", ReaderID: "7", Callback: w.Callback, Secret: w.Secret})
	require.NoError(t, err)
	removed, err := reconcile.ClearWebhooks(ctx, c, broadcaster)
	require.NoError(t, err)
	assert.Len(t, removed, 1)
	subs := f.Subscriptions()
	require.Len(t, subs, 1)
	assert.Equal(t, "7", subs[0].Condition["broadcaster_user_id"])
}

func TestSession_ReplacesAWebhookSubscriptionInTheWay(t *testing.T) {
	f, c, w := setup(t)
	ctx := context.Background()
	r, err := reconcile.Reconcile(ctx, c, w)
	require.NoError(t, err)
	waitEnabled(t, f, r.Created.ID)

	conn := dialSession(t, f)
	sub, removed, err := reconcile.Session(ctx, c, broadcaster, broadcaster, conn)
	require.NoError(t, err)
	assert.Len(t, removed, 1)
	assert.Equal(t, "websocket", sub.Transport.Method)
	subs := f.Subscriptions()
	require.Len(t, subs, 1)
	assert.Equal(t, conn, subs[0].Transport.SessionID)
}

func TestReconcile_TwoReplicasAtOnceLeaveOneSubscription(t *testing.T) {
	f, c, w := setup(t)
	ctx := context.Background()
	errsCh := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			_, err := reconcile.Reconcile(ctx, c, w)
			errsCh <- err
		}()
	}
	for i := 0; i < 4; i++ {
		require.NoError(t, <-errsCh)
	}
	assert.Len(t, f.Subscriptions(), 1)
}

// The deployment's previous connection is gone on its side but not yet on Twitch's (a
// machine that slept): its subscription is still enabled and Twitch refuses a second
// one for the same chat. The new session removes it instead of failing until Twitch's
// pings give up on the old connection.
func TestSession_ReplacesTheSubscriptionOfAStaleSession(t *testing.T) {
	f, c, _ := setup(t)
	ctx := context.Background()
	stale := dialSession(t, f)
	_, _, err := reconcile.Session(ctx, c, broadcaster, broadcaster, stale)
	require.NoError(t, err)

	fresh := dialSession(t, f)
	sub, removed, err := reconcile.Session(ctx, c, broadcaster, broadcaster, fresh)
	require.NoError(t, err)
	require.Len(t, removed, 1)
	assert.Equal(t, stale, removed[0].Transport.SessionID)
	assert.Equal(t, fresh, sub.Transport.SessionID)
	subs := f.Subscriptions()
	require.Len(t, subs, 1)
	assert.Equal(t, fresh, subs[0].Transport.SessionID)
}
