package events

// PayoutEvent is the payload of every mgm.payout.* event: the payout as it is after the
// event, the transition (for status changes) and the user's lifetime total of Sent gold
// after it, so consumers can assign rather than increment (idempotent).
type PayoutEvent struct {
	Payout           Payout `json:"payout"`
	From             string `json:"from,omitempty"`
	To               string `json:"to,omitempty"`
	LifetimeSentGold int64  `json:"lifetimeSentGold"`
}

// RewardNotice is the payload of mgm.notify.reward.posted / .failed.
type RewardNotice struct {
	PayoutID      string `json:"payoutId"`
	CharacterName string `json:"characterName"`
	Message       string `json:"message"`
	MessageID     string `json:"messageId,omitempty"` // Helix message_id when posted
	Reason        string `json:"reason,omitempty"`    // failed: drop code or last error
	Attempts      int    `json:"attempts,omitempty"`
}
