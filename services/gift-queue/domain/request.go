// Package domain is the gift queue of docs/product.md §8: a streamer's gift requests, the
// rule that at most one of them is served at a time, the lifecycle
// Pending → SelectingItem → WaitingConfirmation → Completed (Failed from any
// non-terminal status), the timeouts, the queue position and ETA, and the once-per-viewer
// usage rule. It knows nothing of PostgreSQL or NATS.
//
// queue.go is long (about 400 lines) on purpose: it is the queue's one state machine,
// every command (Create, Promote, Sweep, SetStatus, OfferItems, SelectItem, Confirm)
// keeping the same serving rule and recording its changes the same way, and reads best
// in one place.
package domain

import (
	"time"

	shared "github.com/mimiron/mgm/pkg/domain"
)

// Status is a gift request's lifecycle state; the strings are the wire values.
type Status string

// Statuses (docs/product.md §8).
const (
	Pending             Status = shared.GiftPending
	SelectingItem       Status = shared.GiftSelectingItem
	WaitingConfirmation Status = shared.GiftWaitingConfirmation
	Completed           Status = shared.GiftCompleted
	Failed              Status = shared.GiftFailed
)

// Statuses is every status in lifecycle order.
var Statuses = []Status{Pending, SelectingItem, WaitingConfirmation, Completed, Failed}

// Timeouts and the ETA step (docs/product.md §2).
const (
	SelectionTimeout    = 60 * time.Second
	ConfirmationTimeout = 5 * time.Minute
	ETAStep             = 65 * time.Second
)

// Terminal reports whether s never changes again.
func (s Status) Terminal() bool { return s == Completed || s == Failed }

// Active reports whether s holds the streamer's one serving slot.
func (s Status) Active() bool { return s == SelectingItem || s == WaitingConfirmation }

// Item is one giftable bag item as the addon lists it in [MGM_ITEMS].
type Item struct {
	ItemID  int64
	Name    string
	Count   int
	Quality int
}

// Request is one gift request.
type Request struct {
	ID                string
	Seq               int64 // creation order assigned by the store; 0 until stored
	StreamerID        string
	TwitchUserID      string
	TwitchDisplayName string
	CharacterName     string
	Source            string
	RequestID         string // the panel's idempotency key
	Status            Status
	Reason            string
	OfferedItems      []Item
	ItemID            *int64
	ItemName          string
	ItemCount         int
	CreatedAt         time.Time
	UpdatedAt         time.Time
	PromotedAt        *time.Time
	SelectedAt        *time.Time
	AcceptedAt        *time.Time
	CompletedAt       *time.Time
	FailedAt          *time.Time
	DeadlineAt        *time.Time
	Version           int64

	// StoredVersion is the version the store read (0 for a new request): the
	// optimistic check of the update.
	StoredVersion int64
}

// Change is one recorded change of a request: the request right after it and the
// transition (From == "" for a creation; From == To for a change within a status).
type Change struct {
	After Request
	From  Status
	To    Status
}
