package domain

import (
	"testing"

	shared "github.com/mimiron/mgm/pkg/domain"
)

// FuzzScreen: whatever the chat text and badges, a message is either ignored or yields
// a valid character name, and only from the configured channel with a subscriber badge.
func FuzzScreen(f *testing.F) {
	f.Add("b1", "", "!twgift Норинн", "subscriber")
	f.Add("b1", "b2", "!TWGIFT Thrall", "founder")
	f.Add("b2", "", "!twgift  Jaina  ", "subscriber")
	f.Add("b1", "", "!twgift N0rinn", "vip")
	f.Add("b1", "b1", "!twgift a b", "subscriber")
	f.Fuzz(func(t *testing.T, channel, source, text, badge string) {
		p := ChatPolicy{BroadcasterID: "b1"}
		name, ignore, _ := p.Screen(ChatMessage{BroadcasterUserID: channel, SourceBroadcasterUserID: source, Text: text, Badges: []string{badge}})
		if ignore != "" {
			if name != "" {
				t.Fatalf("ignored (%s) but named %q", ignore, name)
			}
			return
		}
		if channel != "b1" || (source != "" && source != channel) || !shared.IsSubscriber([]string{badge}, shared.DefaultSubscriberBadges) {
			t.Fatalf("accepted channel=%q source=%q badge=%q", channel, source, badge)
		}
		if _, err := shared.ParseCharacterName(name); err != nil {
			t.Fatalf("accepted invalid name %q: %v", name, err)
		}
	})
}

// FuzzParseStatus: only the five statuses (any ASCII case) parse, and they round-trip.
func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"Pending", "completed", "FAILED", "Done", "", "Соmpleted"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatus(s)
		if err != nil {
			return
		}
		got, err := ParseStatus(string(st))
		if err != nil || got != st {
			t.Fatalf("%q parsed to %q, which does not round-trip", s, st)
		}
	})
}
