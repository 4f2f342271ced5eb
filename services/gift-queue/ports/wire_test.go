package ports

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/gift-queue/domain"
)

func TestEncodeChange_OneDeterministicIDPerRequestVersion(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := domain.Change{After: domain.Request{ID: "a", Version: 2, Status: domain.SelectingItem, UpdatedAt: at}, From: domain.Pending, To: domain.SelectingItem}
	id, subject, payload, err := EncodeChange(c)
	require.NoError(t, err)
	assert.Equal(t, "gift:a:v2", id)
	assert.Equal(t, events.GiftRequestChanged, subject)
	var ev events.GiftRequestEvent
	require.NoError(t, json.Unmarshal(payload, &ev))
	assert.Equal(t, "Pending", ev.From)
	assert.Equal(t, "SelectingItem", ev.To)
	assert.Equal(t, []events.GiftItem{}, ev.Request.OfferedItems, "[] until the addon lists items")
}
