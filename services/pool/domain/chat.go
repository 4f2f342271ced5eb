package domain

import (
	shared "github.com/mimiron/mgm/pkg/domain"
)

// ChatMessage is a `!twgold` chat message as the pool's rules read it.
type ChatMessage = shared.ChatMessage

// Ignore reasons: a chat message that changes nothing and is not an error. All but
// IgnoreDuplicate are the shared chat screening's.
const (
	IgnoreOtherChannel  = shared.IgnoreOtherChannel
	IgnoreSharedChat    = shared.IgnoreSharedChat
	IgnoreNotSubscriber = shared.IgnoreNotSubscriber
	IgnoreNotCommand    = shared.IgnoreNotCommand
	IgnoreDuplicate     = "duplicate_message" // message_id already handled
)

// ChatPolicy is the deployment's chat configuration.
type ChatPolicy shared.ChatPolicy

// Screen applies the rules of docs/product.md §3 that need no state (shared.ChatPolicy.Screen
// for `!twgold`). It returns the raw name argument, or an ignore reason ("" when the
// message should be enrolled). The name is not validated here: a malformed name is
// refused later with invalid_character_name.
func (p ChatPolicy) Screen(m ChatMessage) (name, ignore string) {
	return shared.ChatPolicy(p).Screen(m, shared.CommandGold)
}
