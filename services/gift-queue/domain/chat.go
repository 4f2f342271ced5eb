package domain

import (
	shared "github.com/mimiron/mgm/pkg/domain"
)

// Ignore reasons: a chat message that creates nothing and is not an error. The rules
// are the pool's (docs/product.md §3, shared.ChatPolicy) applied to `!twgift`, and here a
// malformed name is ignored too.
const (
	IgnoreOtherChannel  = shared.IgnoreOtherChannel
	IgnoreSharedChat    = shared.IgnoreSharedChat
	IgnoreNotSubscriber = shared.IgnoreNotSubscriber
	IgnoreNotCommand    = shared.IgnoreNotCommand
	IgnoreBadName       = "invalid_character_name"
)

// ChatMessage is a `!twgift` chat message as the gift queue needs it.
type ChatMessage = shared.ChatMessage

// ChatPolicy is the deployment's chat configuration.
type ChatPolicy shared.ChatPolicy

// Screen applies the stateless rules: the channel, Shared Chat relays, the command
// shape, subscriber badges (shared.ChatPolicy.Screen) and the character name. It
// returns the validated name (in the game's form), or an ignore reason; for a bad name
// also the rule it breaks.
func (p ChatPolicy) Screen(m ChatMessage) (name, ignore string, problem shared.NameProblem) {
	raw, ignore := shared.ChatPolicy(p).Screen(m, shared.CommandGift)
	if ignore != "" {
		return "", ignore, ""
	}
	n, problem := shared.CheckCharacterName(raw)
	if problem != "" {
		return "", IgnoreBadName, problem
	}
	return n.String(), "", ""
}
