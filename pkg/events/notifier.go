package events

import "time"

// NotifyRewardReplay asks helix-notifier to post a reward announcement again after an
// operator reset its failure record (payload RewardNotice with PayoutID and
// CharacterName). Published by `helix-notifier failures replay` and by the
// RPCNotifierReplay handler; consumed by helix-notifier only.
const NotifyRewardReplay = "mgm.notify.reward.replay"

// helix-notifier's operator RPCs (queue group "helix-notifier").
const (
	RPCNotifierFailures = "mgm.rpc.notifier.failures" // struct{} → []Announcement (failed, unknown, stalled)
	RPCNotifierReplay   = "mgm.rpc.notifier.replay"   // ReplayRequest → Announcement (now pending)
)

// Announcement is helix-notifier's record of one payout's reward announcement.
type Announcement struct {
	PayoutID      string     `json:"payoutId"`
	CharacterName string     `json:"characterName"`
	State         string     `json:"state"` // pending, posting, posted, failed or unknown (helix-notifier's domain.State)
	Reason        string     `json:"reason,omitempty"`
	Attempts      int        `json:"attempts"`
	Replays       int        `json:"replays"`
	MessageID     string     `json:"messageId,omitempty"`
	ClaimedAt     *time.Time `json:"claimedAt,omitempty"`
	PostedAt      *time.Time `json:"postedAt,omitempty"`
	FailedAt      *time.Time `json:"failedAt,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
}

// ReplayRequest asks to post a failed (or unknown) announcement again.
type ReplayRequest struct {
	PayoutID string `json:"payoutId"`
}
