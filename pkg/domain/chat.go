package domain

import "strings"

// Ignore reasons of the chat screening (docs/product.md §3): a chat message that changes
// nothing and is not an error.
const (
	IgnoreOtherChannel  = "other_channel"     // sent to a broadcaster this deployment does not serve
	IgnoreSharedChat    = "shared_chat_relay" // relayed from another channel during Shared Chat
	IgnoreNotSubscriber = "not_subscriber"    // no subscriber badge
	IgnoreNotCommand    = "not_a_command"     // no name, extra words, another command
)

// DefaultSubscriberBadges are the badges that make a chatter a subscriber of the channel.
// "premium" (Prime) is not a subscription to this channel and counts only when configured.
var DefaultSubscriberBadges = []string{"subscriber", "founder"}

// ChatMessage is a `!twgold`/`!twgift` chat message as the services' rules read it
// (the screening looks at the channel, the text and the badges).
type ChatMessage struct {
	MessageID               string // Twitch's chat message_id
	BroadcasterUserID       string
	SourceBroadcasterUserID string // set for Shared Chat relays
	UserID                  string
	UserLogin               string
	UserName                string
	Text                    string
	Badges                  []string
}

// DisplayName is the chatter's display name, or their login when Twitch sent none.
func (m ChatMessage) DisplayName() string {
	if m.UserName != "" {
		return m.UserName
	}
	return m.UserLogin
}

// ChatPolicy is the deployment's chat configuration.
type ChatPolicy struct {
	BroadcasterID    string   // "" accepts any channel (single-channel deployments set it)
	SubscriberBadges []string // badges that count as a subscription (default DefaultSubscriberBadges)
}

// Screen applies the chat rules of docs/product.md §3 that need no state, shared by
// `!twgold` and `!twgift`: the channel, Shared Chat relays, the command shape (of kind
// want) and subscriber badges. It returns the raw name argument, or an ignore reason
// ("" when the message goes on). The name is not validated here: each command decides
// what a malformed name means.
func (p ChatPolicy) Screen(m ChatMessage, want CommandKind) (name, ignore string) {
	if p.BroadcasterID != "" && m.BroadcasterUserID != p.BroadcasterID {
		return "", IgnoreOtherChannel
	}
	if m.SourceBroadcasterUserID != "" && m.SourceBroadcasterUserID != m.BroadcasterUserID {
		return "", IgnoreSharedChat
	}
	cmd, ok := ParseCommand(m.Text)
	if !ok || cmd.Kind != want {
		return "", IgnoreNotCommand
	}
	badges := p.SubscriberBadges
	if len(badges) == 0 {
		badges = DefaultSubscriberBadges
	}
	if !IsSubscriber(m.Badges, badges) {
		return "", IgnoreNotSubscriber
	}
	return cmd.Name, ""
}

// IsSubscriber reports whether any of badges (EventSub set_id values) is one of allowed.
func IsSubscriber(badges, allowed []string) bool {
	for _, b := range badges {
		for _, a := range allowed {
			if strings.EqualFold(strings.TrimSpace(b), strings.TrimSpace(a)) {
				return true
			}
		}
	}
	return false
}
