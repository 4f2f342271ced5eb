package domain

// Payout statuses (docs/product.md §5), as the API and the events carry them. They are
// declared here once; the payout service's domain gives them a type and the transition
// table, and every other service and the Desktop compare against these.
const (
	PayoutPending    = "Pending"
	PayoutInProgress = "InProgress"
	PayoutSent       = "Sent"
	PayoutFailed     = "Failed"
	PayoutCancelled  = "Cancelled"
	PayoutExpired    = "Expired"
)

// PayoutActive reports whether a payout in status holds its owner's one active slot
// (Pending or InProgress): such a payout blocks another win (docs/product.md §2).
func PayoutActive(status string) bool { return status == PayoutPending || status == PayoutInProgress }
