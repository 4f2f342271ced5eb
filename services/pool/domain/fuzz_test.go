package domain

import (
	"strings"
	"testing"

	shared "github.com/mimiron/mgm/pkg/domain"
)

// FuzzChatPolicyScreen: whatever the chat text and badges, screening never panics, and
// a message it lets through is exactly "!twgold <one token>" from a subscriber of the
// configured channel that was not relayed from elsewhere.
func FuzzChatPolicyScreen(f *testing.F) {
	f.Add("!twgold Alice", "subscriber", "b1", "")
	f.Add("!TWGOLD   Норинн ", "founder", "b1", "b1")
	f.Add("!twgold", "subscriber", "b1", "")
	f.Add("!twgold a b", "premium", "b1", "b2")
	f.Add("!twgift Alice", "subscriber", "b2", "")
	f.Add("\u00a0!twgold\u2003Alice", "Subscriber", "b1", "")
	p := ChatPolicy{BroadcasterID: "b1"}
	f.Fuzz(func(t *testing.T, text, badge, channel, source string) {
		m := ChatMessage{BroadcasterUserID: channel, SourceBroadcasterUserID: source, Text: text, Badges: []string{badge}}
		raw, ignore := p.Screen(m)
		if ignore != "" {
			if raw != "" {
				t.Fatalf("ignored (%s) but returned name %q", ignore, raw)
			}
			return
		}
		fields := strings.Fields(text)
		if len(fields) != 2 || !strings.EqualFold(fields[0], "!twgold") || fields[1] != raw {
			t.Fatalf("accepted %q with name %q", text, raw)
		}
		if channel != "b1" || (source != "" && source != channel) || !shared.IsSubscriber([]string{badge}, shared.DefaultSubscriberBadges) {
			t.Fatalf("accepted from channel %q source %q badge %q", channel, source, badge)
		}
	})
}
