package events

import "time"

// Gift queue contract (docs/product.md §8). The gift-queue service owns the requests; the
// gateway calls it on the RPC subjects below (queue group "gift-queue"); every change
// of a request is published on GiftRequestChanged (stream MGM_GIFT) with a
// deterministic envelope id "gift:<requestId>:v<version>". Statuses, failure reasons
// and sources are pkg/domain's Gift* values.

// Gift RPC subjects (core NATS request/reply, queue group "gift-queue").
const (
	RPCGiftCreate  = "mgm.rpc.gift.create"  // GiftCreateRequest → GiftViewerRequest
	RPCGiftQueue   = "mgm.rpc.gift.queue"   // GiftQueueRequest → GiftQueueSnapshot
	RPCGiftList    = "mgm.rpc.gift.list"    // GiftListRequest → []GiftRequest (active + pending, oldest first)
	RPCGiftUpdate  = "mgm.rpc.gift.update"  // GiftUpdateRequest → GiftRequest
	RPCGiftSelect  = "mgm.rpc.gift.select"  // GiftSelectRequest → GiftRequest
	RPCGiftConfirm = "mgm.rpc.gift.confirm" // GiftConfirmRequest → GiftRequest
)

// GiftItem is one giftable bag item as the addon lists it in [MGM_ITEMS].
type GiftItem struct {
	ItemID  int64  `json:"itemId"`
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Quality int    `json:"quality"`
}

// GiftRequest is a gift request as the Desktop and the event stream see it.
type GiftRequest struct {
	ID                string     `json:"id"`
	StreamerID        string     `json:"streamerId"`
	TwitchUserID      string     `json:"twitchUserId"`
	TwitchDisplayName string     `json:"twitchDisplayName"`
	CharacterName     string     `json:"characterName"`
	Source            string     `json:"source"`              // chat | api
	RequestID         string     `json:"requestId,omitempty"` // the panel's idempotency key (api only)
	Status            string     `json:"status"`
	Reason            string     `json:"reason,omitempty"` // why it Failed
	OfferedItems      []GiftItem `json:"offeredItems"`     // the last [MGM_ITEMS] list; [] until one arrives
	ItemID            *int64     `json:"itemId"`           // the selected item
	ItemName          string     `json:"itemName,omitempty"`
	ItemCount         int        `json:"itemCount,omitempty"`
	CreatedAt         time.Time  `json:"createdAt"`
	UpdatedAt         time.Time  `json:"updatedAt"`
	PromotedAt        *time.Time `json:"promotedAt"`  // → SelectingItem
	SelectedAt        *time.Time `json:"selectedAt"`  // → WaitingConfirmation
	AcceptedAt        *time.Time `json:"acceptedAt"`  // the recipient whispered !twgift
	CompletedAt       *time.Time `json:"completedAt"` // the item mail was sent
	FailedAt          *time.Time `json:"failedAt"`
	DeadlineAt        *time.Time `json:"deadlineAt"` // when the backend fails it if nothing happens; null when no timeout runs
	Version           int64      `json:"version"`
}

// GiftRequestEvent is the payload of mgm.gift.request.changed: the request after the
// change and the transition (From == To for changes that keep the status, such as an
// acceptance or an item list; From == "" for a creation).
type GiftRequestEvent struct {
	Request GiftRequest `json:"request"`
	From    string      `json:"from,omitempty"`
	To      string      `json:"to"`
}

// GiftCreateRequest is POST /api/gift-requests after the gateway checked identity and
// subscription. RequestID (optional) makes the call idempotent per viewer.
type GiftCreateRequest struct {
	StreamerID        string `json:"streamerId"`
	TwitchUserID      string `json:"twitchUserId"`
	TwitchDisplayName string `json:"twitchDisplayName"`
	CharacterName     string `json:"characterName"`
	RequestID         string `json:"requestId,omitempty"`
}

// GiftViewerRequest is a viewer's own request as the panel sees it. Position is 1 for
// the request being served, 2 for the next, …; 0 once terminal. ETASeconds is
// max(0, position − 1) × 65.
type GiftViewerRequest struct {
	ID            string     `json:"id"`
	RequestID     string     `json:"requestId,omitempty"`
	CharacterName string     `json:"characterName"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason,omitempty"`
	ItemName      string     `json:"itemName,omitempty"`
	Position      int        `json:"position"`
	ETASeconds    int        `json:"etaSeconds"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	DeadlineAt    *time.Time `json:"deadlineAt"`
	Replay        bool       `json:"replay"` // POST only: this requestId was already handled
}

// GiftQueueRequest asks for a streamer's queue as one viewer sees it (TwitchUserID ""
// when the viewer did not share identity).
type GiftQueueRequest struct {
	StreamerID   string `json:"streamerId"`
	TwitchUserID string `json:"twitchUserId,omitempty"`
}

// GiftQueueActive is the request being served, as every viewer may see it.
type GiftQueueActive struct {
	CharacterName string     `json:"characterName"`
	Status        string     `json:"status"`
	DeadlineAt    *time.Time `json:"deadlineAt"`
}

// GiftQueueSnapshot is GET /api/streamers/{streamerId}/gift-queue.
type GiftQueueSnapshot struct {
	StreamerID            string             `json:"streamerId"`
	QueueLength           int                `json:"queueLength"`  // active + pending
	PendingCount          int                `json:"pendingCount"` // waiting behind the active one
	Active                *GiftQueueActive   `json:"active"`
	MyRequest             *GiftViewerRequest `json:"myRequest"` // the caller's latest request, null when none
	GiftUsed              bool               `json:"giftUsed"`  // the caller already received their gift
	ETAPerPositionSeconds int                `json:"etaPerPositionSeconds"`
	ServerNow             time.Time          `json:"serverNow"`
}

// GiftListRequest is GET /api/gift-requests.
type GiftListRequest struct {
	StreamerID string `json:"streamerId"`
}

// GiftUpdateRequest is PATCH /api/gift-requests/{id}: either a status change (Status,
// optional Reason) or the addon's item list (Items, from [MGM_ITEMS]).
type GiftUpdateRequest struct {
	StreamerID string      `json:"streamerId"`
	ID         string      `json:"id"`
	Status     string      `json:"status,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	Items      *[]GiftItem `json:"items,omitempty"`
}

// GiftSelectRequest is POST /api/gift-requests/{id}/select-item.
type GiftSelectRequest struct {
	StreamerID string `json:"streamerId"`
	ID         string `json:"id"`
	ItemID     int64  `json:"itemId"`
	ItemName   string `json:"itemName,omitempty"`
	Count      int    `json:"count,omitempty"`
}

// GiftConfirmRequest is POST /api/gift-requests/{id}/confirm: the recipient's answer
// to the consent whisper ([MGM_GIFT_ACCEPT] is Accepted = true).
type GiftConfirmRequest struct {
	StreamerID string `json:"streamerId"`
	ID         string `json:"id"`
	Accepted   bool   `json:"accepted"`
}
