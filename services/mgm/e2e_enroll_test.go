package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// The foundation's end-to-end path: a signed channel.chat.message posted to the public
// HTTP address enrolls the viewer, who then sees it in GET /api/pool/me.
func TestE2E_ChatEnrollmentVisibleInPoolMe(t *testing.T) {
	t.Parallel()
	sys := allinonetest.Start(t, nil)
	token := sys.ViewerToken("5551")

	var me events.PoolMeReply
	status, body := sys.Do(t, http.MethodGet, "/api/pool/me", token, nil, &me)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.False(t, me.IsEnrolled)

	sys.Enroll(t, "5551", "Норинн")
	testenv.Eventually(t, 5*time.Second, func() bool {
		me = events.PoolMeReply{}
		status, _ := sys.Do(t, http.MethodGet, "/api/pool/me", token, nil, &me)
		return status == http.StatusOK && me.IsEnrolled
	}, "viewer never appeared in the pool")
	require.NotNil(t, me.CharacterName)
	assert.Equal(t, "Норинн", *me.CharacterName)

	// A second viewer cannot take the same name in another case; the first keeps it.
	// A later enrollment that does appear proves the refused one was processed.
	sys.Enroll(t, "5552", "нОРИНН")
	sys.Enroll(t, "5553", "Jaina")
	waitEnrolled(t, sys, "5553")
	var other events.PoolMeReply
	sys.Do(t, http.MethodGet, "/api/pool/me", sys.ViewerToken("5552"), nil, &other)
	assert.False(t, other.IsEnrolled, "a taken name must be refused")
	sys.Do(t, http.MethodGet, "/api/pool/me", token, nil, &me)
	require.NotNil(t, me.CharacterName)
	assert.Equal(t, "Норинн", *me.CharacterName, "the first viewer keeps the name")
}

// waitEnrolled waits until user appears in GET /api/pool/me. Chat commands are applied
// in delivery order, so once a later command shows, every earlier one was processed.
func waitEnrolled(t *testing.T, sys *allinonetest.System, user string) {
	t.Helper()
	testenv.Eventually(t, 5*time.Second, func() bool {
		var me events.PoolMeReply
		status, _ := sys.Do(t, http.MethodGet, "/api/pool/me", sys.ViewerToken(user), nil, &me)
		return status == http.StatusOK && me.IsEnrolled
	}, "viewer %s never appeared in the pool", user)
}

// Refusals at the public address: the webhook's signature, timestamp and replay
// checks, and the viewer and Desktop credentials.
func TestE2E_Refusals(t *testing.T) {
	t.Parallel()
	sys := allinonetest.Start(t, nil)
	ctx := context.Background()
	s := sys.Sender()
	msg := eventsub.ChatMessageOpts{BroadcasterID: sys.Config.BroadcasterID, UserID: "42", Text: "!twgold Thrall", Badges: []string{"subscriber"}}

	resp, err := s.ChatMessage(ctx, msg, eventsub.WithBadSignature())
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "bad signature")
	assert.Equal(t, "invalid_signature", errorCode(t, resp))

	// A correctly signed delivery older than ten minutes is acknowledged and dropped
	// (a refusal would have Twitch retry it toward notification_failures_exceeded).
	stale := msg
	stale.UserID = "41"
	resp, err = s.ChatMessage(ctx, stale, eventsub.WithAge(11*time.Minute))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, "stale timestamp")
	resp, err = s.ChatMessage(ctx, msg, eventsub.WithAge(-3*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a timestamp from the future")
	assert.Equal(t, "stale_message", errorCode(t, resp))

	// The same delivery id twice: accepted both times, enrolled once.
	resp, err = s.ChatMessage(ctx, msg, eventsub.WithDeliveryID("dup-delivery-1"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 2, resp.StatusCode/100)
	resp, err = s.ChatMessage(ctx, eventsub.ChatMessageOpts{BroadcasterID: sys.Config.BroadcasterID, UserID: "43", Text: "!twgold Jaina", Badges: []string{"subscriber"}}, eventsub.WithDeliveryID("dup-delivery-1"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 2, resp.StatusCode/100, "a replayed delivery id is acknowledged")
	waitEnrolled(t, sys, "42")
	// A later delivery that does enroll proves the replayed one was not held back.
	sys.Enroll(t, "44", "Sylvanas")
	waitEnrolled(t, sys, "44")
	var me events.PoolMeReply
	sys.Do(t, http.MethodGet, "/api/pool/me", sys.ViewerToken("43"), nil, &me)
	assert.False(t, me.IsEnrolled, "the replayed delivery id must not be processed")
	sys.Do(t, http.MethodGet, "/api/pool/me", sys.ViewerToken("41"), nil, &me)
	assert.False(t, me.IsEnrolled, "the stale delivery was dropped")

	// Viewer JWT for another channel.
	status, body := sys.Do(t, http.MethodGet, "/api/pool/me", wrongChannelToken(sys), nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, string(body), `"code":"unauthorized"`)

	// Desktop key: missing and wrong.
	status, body = sys.Do(t, http.MethodGet, "/api/payouts/pending", "", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, string(body), `"code":"unauthorized"`)
	req, _ := http.NewRequest(http.MethodGet, sys.URL+"/api/payouts/pending", nil)
	req.Header.Set("X-MGM-ApiKey", "wrong")
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	assert.Equal(t, http.StatusForbidden, r2.StatusCode)

	// Claim by a non-subscriber (fake Helix knows no subscription for this viewer).
	status, body = sys.Do(t, http.MethodPost, "/api/payouts/claim", sys.ViewerToken("77"),
		map[string]string{"characterName": "Arthas", "enrollmentRequestId": "6f1c3f8e-8a4e-4c43-9b8a-1a0f2d7e9b10"}, nil)
	assert.Equal(t, http.StatusForbidden, status, string(body))
	assert.Contains(t, string(body), `"code":"not_subscriber"`)
}

// errorCode reads the code of an error body {"code","message","details"} and closes it.
func errorCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var body struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.NotEmpty(t, body.Message)
	assert.NotNil(t, body.Details)
	return body.Code
}

func wrongChannelToken(sys *allinonetest.System) string {
	return extjwt.Mint(sys.Config.ExtensionSecrets[0], extjwt.Claims{
		UserID: "42", OpaqueUserID: "U42", ChannelID: "999", Role: "viewer", Exp: time.Now().Add(time.Hour),
	})
}
