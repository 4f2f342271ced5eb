package service

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
)

func viewerEntry(t *testing.T, kv jetstream.KeyValue, key string) (string, bool) {
	t.Helper()
	e, err := kv.Get(context.Background(), key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false
	}
	require.NoError(t, err)
	return string(e.Value()), true
}

func TestViewerDirectory_LinksOnlySharedIdentityAndForgetsWhenTheShareEnds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	kv, err := natsx.ViewersBucket(context.Background(), h.js)
	require.NoError(t, err)

	// Not shared, and logged out: nothing is linked.
	notShared := h.token(extjwt.Claims{OpaqueUserID: "Uopq1", Role: "viewer"})
	loggedOut := h.token(extjwt.Claims{OpaqueUserID: "Aanon1", Role: "viewer"})
	require.Equal(t, http.StatusOK, h.do(http.MethodGet, "/api/roulette/state", "", bearer(notShared)...).status)
	require.Equal(t, http.StatusOK, h.do(http.MethodGet, "/api/roulette/state", "", bearer(loggedOut)...).status)

	// Shared: a token with both ids links them, both ways.
	shared := h.token(extjwt.Claims{UserID: "555", OpaqueUserID: "Uopq1", Role: "viewer"})
	require.Equal(t, http.StatusOK, h.do(http.MethodGet, "/api/roulette/state", "", bearer(shared)...).status)
	testenv.Eventually(t, 5*time.Second, func() bool {
		u, ok1 := viewerEntry(t, kv, "u.555")
		o, ok2 := viewerEntry(t, kv, "o.Uopq1")
		return ok1 && ok2 && u == "Uopq1" && o == "555"
	}, "link stored both ways")
	_, ok := viewerEntry(t, kv, "o.Aanon1")
	assert.False(t, ok, "a logged-out viewer is never linked")

	// The viewer revokes the share: their next token has no user_id, and the link goes.
	require.Equal(t, http.StatusOK, h.do(http.MethodGet, "/api/roulette/state", "", bearer(notShared)...).status)
	testenv.Eventually(t, 5*time.Second, func() bool { _, ok := viewerEntry(t, kv, "u.555"); return !ok }, "link forgotten")
	_, ok = viewerEntry(t, kv, "o.Uopq1")
	assert.False(t, ok)
}

func TestViewerDirectory_RefusesIDsThatCannotBeKeys(t *testing.T) {
	t.Parallel()
	assert.True(t, validKeyPart("U1a2B3"))
	for _, bad := range []string{"", "U.x", "U*", "U>", "U x", "Ü1", string(make([]byte, 65))} {
		assert.False(t, validKeyPart(bad), "%q", bad)
	}
}
