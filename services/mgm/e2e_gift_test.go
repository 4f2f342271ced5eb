package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// The `!twgift` flow of docs/product.md §8 through the public addresses: a subscriber's
// signed chat message queues a gift request, the Desktop lists it, hands over the
// addon's item list, selects an item, records the consent ([MGM_GIFT_ACCEPT]) and the
// sent mail ([MGM_GIFT_SENT]) with the calls the Desktop makes; the viewer sees the
// request Completed, the next viewer (from the panel) is served, and a second gift for
// the first viewer is refused.
func TestE2E_GiftFromChatToCompleted(t *testing.T) {
	t.Parallel()
	sys := allinonetest.Start(t, nil)
	ctx := context.Background()
	resp, err := sys.Sender().ChatMessage(ctx, eventsub.ChatMessageOpts{
		BroadcasterID: sys.Config.BroadcasterID, UserID: "7001", UserName: "viewer7001",
		Text: "!twgift Норинн", Badges: []string{"subscriber"},
	})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 2, resp.StatusCode/100)

	// The Desktop sees it being served.
	var list []events.GiftRequest
	testenv.Eventually(t, 10*time.Second, func() bool {
		list = nil
		status, _ := sys.Do(t, http.MethodGet, "/api/gift-requests", "apikey", nil, &list)
		return status == http.StatusOK && len(list) == 1
	}, "the chat request never reached the Desktop's list")
	g := list[0]
	assert.Equal(t, "Норинн", g.CharacterName)
	assert.Equal(t, domain.GiftSelectingItem, g.Status)
	assert.Equal(t, "7001", g.TwitchUserID)

	// A second viewer asks from the panel and waits behind.
	sys.Helix.SetSubscriber("7002", "1000")
	var second events.GiftViewerRequest
	status, body := sys.Do(t, http.MethodPost, "/api/gift-requests", sys.ViewerToken("7002"),
		map[string]string{"characterName": "Thrall", "requestId": "3f0e4c1a-2b7d-4e8f-9a10-123456789abc"}, &second)
	require.Equal(t, http.StatusCreated, status, string(body))
	assert.Equal(t, domain.GiftPending, second.Status)
	assert.Equal(t, 2, second.Position)
	assert.Equal(t, 65, second.ETASeconds)
	status, body = sys.Do(t, http.MethodPost, "/api/gift-requests", sys.ViewerToken("7003"),
		map[string]string{"characterName": "Jaina"}, nil)
	assert.Equal(t, http.StatusForbidden, status, "non-subscriber: %s", body)

	base := "/api/gift-requests/" + g.ID
	var got events.GiftRequest
	// [MGM_ITEMS:<id>][…] → PATCH {items}, as the Desktop sends it.
	status, body = sys.Do(t, http.MethodPatch, base, "apikey", map[string]any{"items": []map[string]any{
		{"itemId": 33470, "name": "Frostweave Cloth", "count": 32, "quality": 1},
		{"itemId": 41511, "name": "Bolt of Imbued Frostweave", "count": 2, "quality": 2},
	}}, &got)
	require.Equal(t, http.StatusOK, status, string(body))
	require.Len(t, got.OfferedItems, 2)

	status, body = sys.Do(t, http.MethodPost, base+"/select-item", "apikey", map[string]any{"itemId": 41511}, &got)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, domain.GiftWaitingConfirmation, got.Status)
	assert.Equal(t, "Bolt of Imbued Frostweave", got.ItemName)

	// [MGM_GIFT_ACCEPT:<id>] → POST confirm {} (twice: the Desktop may deliver a tag again).
	for i := 0; i < 2; i++ {
		status, body = sys.Do(t, http.MethodPost, base+"/confirm", "apikey", struct{}{}, &got)
		require.Equal(t, http.StatusOK, status, string(body))
		assert.NotNil(t, got.AcceptedAt)
		assert.Equal(t, domain.GiftWaitingConfirmation, got.Status, "consent alone never completes a gift")
	}
	// [MGM_GIFT_SENT:<id>] → PATCH {status: Completed} (twice, idempotent).
	for i := 0; i < 2; i++ {
		status, body = sys.Do(t, http.MethodPatch, base, "apikey", map[string]string{"status": "Completed"}, &got)
		require.Equal(t, http.StatusOK, status, string(body))
		assert.Equal(t, domain.GiftCompleted, got.Status)
	}

	// The viewer sees it; the next one is served.
	var q events.GiftQueueSnapshot
	status, body = sys.Do(t, http.MethodGet, "/api/streamers/"+sys.Config.BroadcasterID+"/gift-queue", sys.ViewerToken("7001"), nil, &q)
	require.Equal(t, http.StatusOK, status, string(body))
	require.NotNil(t, q.MyRequest)
	assert.Equal(t, domain.GiftCompleted, q.MyRequest.Status)
	assert.True(t, q.GiftUsed)
	assert.Equal(t, 1, q.QueueLength)
	require.NotNil(t, q.Active)
	assert.Equal(t, "Thrall", q.Active.CharacterName)
	assert.Equal(t, domain.GiftSelectingItem, q.Active.Status)

	var q2 events.GiftQueueSnapshot
	sys.Do(t, http.MethodGet, "/api/streamers/"+sys.Config.BroadcasterID+"/gift-queue", sys.ViewerToken("7002"), nil, &q2)
	require.NotNil(t, q2.MyRequest)
	assert.Equal(t, 1, q2.MyRequest.Position)
	assert.Equal(t, 0, q2.MyRequest.ETASeconds)

	// One gift per viewer.
	sys.Helix.SetSubscriber("7001", "1000")
	status, body = sys.Do(t, http.MethodPost, "/api/gift-requests", sys.ViewerToken("7001"), map[string]string{"characterName": "Норинн"}, nil)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, string(body), `"code":"gift_already_used"`)

	// A terminal request refuses other moves with details.from for the Desktop.
	status, body = sys.Do(t, http.MethodPatch, base, "apikey", map[string]string{"status": "Failed"}, nil)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, string(body), `"code":"terminal_status_change_not_allowed"`)
	assert.Contains(t, string(body), `"from":"Completed"`)
}
