package events

import "time"

// ChatCommand is a `!twgold`/`!twgift` chat message accepted by ingest (signature,
// timestamp and delivery id checked). Enrollment rules are applied by the consumer.
type ChatCommand struct {
	MessageID               string    `json:"messageId"` // Twitch chat message_id
	BroadcasterUserID       string    `json:"broadcasterUserId"`
	SourceBroadcasterUserID string    `json:"sourceBroadcasterUserId,omitempty"` // set for Shared Chat relays
	UserID                  string    `json:"userId"`
	UserLogin               string    `json:"userLogin"`
	UserName                string    `json:"userName"`
	Text                    string    `json:"text"`
	Badges                  []string  `json:"badges"` // set_id values
	SentAt                  time.Time `json:"sentAt"` // EventSub message timestamp
}

// PoolMember is the payload of pool enrolled/renamed/removed events.
type PoolMember struct {
	TwitchUserID      string `json:"twitchUserId"`
	TwitchDisplayName string `json:"twitchDisplayName"`
	CharacterName     string `json:"characterName"`
	OldCharacterName  string `json:"oldCharacterName,omitempty"` // renamed only
	Reason            string `json:"reason,omitempty"`           // removed: "sent", …
	PoolSize          int    `json:"poolSize"`                   // members after the change
	EligibleCount     int    `json:"eligibleCount"`              // eligible members after the change
}
