package domain

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChatPolicyScreen_TakesOnlyTheWantedCommand(t *testing.T) {
	t.Parallel()
	p := ChatPolicy{BroadcasterID: "b1"}
	gold := ChatMessage{BroadcasterUserID: "b1", Text: "!twgold N0rinn", Badges: []string{"founder"}}
	gift := ChatMessage{BroadcasterUserID: "b1", Text: "!TwGift Норинн", Badges: []string{" Subscriber "}}

	name, ignore := p.Screen(gold, CommandGold)
	assert.Equal(t, "", ignore)
	assert.Equal(t, "N0rinn", name, "the raw name, not validated")
	_, ignore = p.Screen(gold, CommandGift)
	assert.Equal(t, IgnoreNotCommand, ignore)

	name, ignore = p.Screen(gift, CommandGift)
	assert.Equal(t, "", ignore)
	assert.Equal(t, "Норинн", name)
	_, ignore = p.Screen(gift, CommandGold)
	assert.Equal(t, IgnoreNotCommand, ignore)
}

func TestChatPolicyScreen_ConfiguredBadgesReplaceTheDefault(t *testing.T) {
	t.Parallel()
	m := ChatMessage{BroadcasterUserID: "b1", Text: "!twgold Alice", Badges: []string{"premium"}}
	_, ignore := ChatPolicy{}.Screen(m, CommandGold)
	assert.Equal(t, IgnoreNotSubscriber, ignore)
	_, ignore = ChatPolicy{SubscriberBadges: []string{"premium"}}.Screen(m, CommandGold)
	assert.Equal(t, "", ignore)
	m.Badges = []string{"subscriber"}
	_, ignore = ChatPolicy{SubscriberBadges: []string{"premium"}}.Screen(m, CommandGold)
	assert.Equal(t, IgnoreNotSubscriber, ignore)
}
