package domain

// Gift request statuses (docs/product.md §8), as the API and the events carry them:
// Pending → SelectingItem → WaitingConfirmation → Completed; Failed from any
// non-terminal status.
const (
	GiftPending             = "Pending"
	GiftSelectingItem       = "SelectingItem"
	GiftWaitingConfirmation = "WaitingConfirmation"
	GiftCompleted           = "Completed"
	GiftFailed              = "Failed"
)

// Gift failure reasons set by the backend (a streamer's explicit Failed carries the
// reason it sent, or GiftReasonFailedByStreamer).
const (
	GiftReasonSelectionTimeout    = "selection_timeout"    // SelectingItem longer than 60 s
	GiftReasonConfirmationTimeout = "confirmation_timeout" // no consent within 5 min
	GiftReasonNoItems             = "no_items"             // the addon listed no giftable item
	GiftReasonDeclined            = "declined"             // confirm {accepted:false}
	GiftReasonFailedByStreamer    = "failed_by_streamer"   // PATCH {status:"Failed"} without a reason
)

// Gift request sources.
const (
	GiftSourceChat = "chat" // `!twgift <Name>`
	GiftSourceAPI  = "api"  // POST /api/gift-requests
)
