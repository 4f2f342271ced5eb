package fakehelix_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

func refresh(t *testing.T, f *fakehelix.Server, token string) answer {
	t.Helper()
	return form(t, f, "/oauth2/token", url.Values{"client_id": {fakehelix.ClientID}, "client_secret": {fakehelix.ClientSecret},
		"grant_type": {"refresh_token"}, "refresh_token": {token}})
}

func validate(t *testing.T, f *fakehelix.Server, token string) answer {
	t.Helper()
	return do(t, http.MethodGet, f.URL()+"/oauth2/validate", "OAuth "+token, nil, "")
}

func TestOAuth_RefreshRotatesTheRefreshToken(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, rt := f.IssueUserToken("1", "channel:read:subscriptions")
	a := refresh(t, f, rt)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	next := a.body["refresh_token"].(string)
	assert.NotEqual(t, rt, next)
	assert.Equal(t, []any{"channel:read:subscriptions"}, a.body["scope"])

	again := refresh(t, f, rt)
	assert.Equal(t, http.StatusBadRequest, again.status, "a spent refresh token is refused")
	assert.Equal(t, "Invalid refresh token", again.body["message"])
	assert.NotContains(t, again.body, "error", "OAuth errors are {status, message}")
	assert.Equal(t, http.StatusUnauthorized, validate(t, f, access).status, "the old access token went with its grant")
	assert.Equal(t, http.StatusOK, refresh(t, f, next).status)
}

func TestOAuth_ValidateNamesUserScopesAndExpiry(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, _ := f.IssueUserToken("42", "user:read:chat", "user:bot")
	a := validate(t, f, access)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "42", a.body["user_id"])
	assert.Equal(t, "user42", a.body["login"])
	assert.Equal(t, fakehelix.ClientID, a.body["client_id"])
	assert.Equal(t, []any{"user:read:chat", "user:bot"}, a.body["scopes"])
	assert.InDelta(t, fakehelix.DefaultTokenTTL.Seconds(), a.body["expires_in"], 5)

	bad := do(t, http.MethodGet, f.URL()+"/oauth2/validate", "Bearer "+access, nil, "")
	assert.Equal(t, http.StatusUnauthorized, bad.status, "validate takes the OAuth prefix")
	assert.Equal(t, map[string]any{"status": float64(401), "message": "invalid access token"}, bad.body)

	app := validate(t, f, appToken(t, f))
	require.Equal(t, http.StatusOK, app.status)
	assert.NotContains(t, app.body, "user_id")
}

func TestOAuth_RevokeEndsAccessAndRefreshToken(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	access, rt := f.IssueUserToken("1", "user:read:chat")
	assert.Equal(t, http.StatusNotFound, form(t, f, "/oauth2/revoke", url.Values{"client_id": {"other"}, "token": {access}}).status)
	assert.Equal(t, http.StatusOK, form(t, f, "/oauth2/revoke", url.Values{"client_id": {fakehelix.ClientID}, "token": {access}}).status)
	assert.Equal(t, http.StatusBadRequest, form(t, f, "/oauth2/revoke", url.Values{"client_id": {fakehelix.ClientID}, "token": {access}}).status)
	assert.Equal(t, http.StatusUnauthorized, validate(t, f, access).status)
	assert.Equal(t, http.StatusBadRequest, refresh(t, f, rt).status)
	assert.Equal(t, 1, f.Revocations())
}

func TestOAuth_ClientCredentialsRefusesWrongSecret(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	a := form(t, f, "/oauth2/token", url.Values{"client_id": {fakehelix.ClientID}, "client_secret": {"nope"}, "grant_type": {"client_credentials"}})
	assert.Equal(t, http.StatusForbidden, a.status)
	a = do(t, http.MethodPost, f.URL()+"/oauth2/token?client_id="+fakehelix.ClientID+"&client_secret="+fakehelix.ClientSecret+"&grant_type=client_credentials", "", nil, "")
	assert.Equal(t, http.StatusBadRequest, a.status, "parameters go in the form body")
}

func startDevice(t *testing.T, f *fakehelix.Server, scopes string) (deviceCode, userCode string, interval float64) {
	t.Helper()
	a := form(t, f, "/oauth2/device", url.Values{"client_id": {fakehelix.ClientID}, "scopes": {scopes}})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Contains(t, a.body["verification_uri"], "/activate?public=true&device-code="+a.body["user_code"].(string))
	return a.body["device_code"].(string), a.body["user_code"].(string), a.body["interval"].(float64)
}

func poll(t *testing.T, f *fakehelix.Server, deviceCode string) answer {
	t.Helper()
	return form(t, f, "/oauth2/token", url.Values{"client_id": {fakehelix.ClientID}, "scopes": {"user:read:chat"},
		"device_code": {deviceCode}, "grant_type": {fakehelix.DeviceGrantType}})
}

func TestDevice_PendingThenApprovedGivesTokensWithRequestedScopes(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.SetDeviceTiming(time.Minute, 1)
	dc, uc, interval := startDevice(t, f, "user:read:chat user:bot")
	assert.EqualValues(t, 1, interval)
	a := poll(t, f, dc)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "authorization_pending", a.body["message"])

	require.NoError(t, f.Approve(uc, "77"))
	time.Sleep(1100 * time.Millisecond) // the interval
	a = poll(t, f, dc)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, []any{"user:read:chat", "user:bot"}, a.body["scope"])
	assert.Equal(t, "77", validate(t, f, a.body["access_token"].(string)).body["user_id"])
	assert.Equal(t, []string{"user:read:chat", "user:bot"}, f.Scopes("77"))

	assert.Equal(t, "invalid device code", poll(t, f, dc).body["message"], "a device code is spent once")
}

func TestDevice_PollingFasterThanTheIntervalIsToldToSlowDown(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.SetDeviceTiming(time.Minute, 1)
	dc, _, _ := startDevice(t, f, "user:read:chat")
	assert.Equal(t, "authorization_pending", poll(t, f, dc).body["message"])
	assert.Equal(t, "slow_down", poll(t, f, dc).body["message"])
}

func TestDevice_DeniedAndExpiredEndTheAttempt(t *testing.T) {
	f := fakehelix.New()
	defer f.Close()
	f.SetDeviceTiming(time.Minute, 1)
	dc, uc, _ := startDevice(t, f, "user:read:chat")
	require.NoError(t, f.Deny(uc))
	assert.Equal(t, "access_denied", poll(t, f, dc).body["message"])

	now := time.Now()
	f.SetClock(func() time.Time { return now })
	dc, _, _ = startDevice(t, f, "user:read:chat")
	f.SetClock(func() time.Time { return now.Add(2 * time.Minute) })
	assert.Equal(t, "invalid device code", poll(t, f, dc).body["message"])
	assert.Empty(t, f.PendingLogins())
}
