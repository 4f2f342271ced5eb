package domain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
)

func TestEligible(t *testing.T) {
	cases := []struct {
		name   string
		inPool bool
		v      Viewer
		want   bool
	}{
		{"member with no payouts", true, Viewer{}, true},
		{"not in the pool", false, Viewer{}, false},
		{"active payout", true, Viewer{ActivePayoutID: "p1"}, false},
		{"one payout below the cap", true, Viewer{LifetimeSentGold: LifetimeCapGold - PayoutGold}, true},
		{"cap reached", true, Viewer{LifetimeSentGold: LifetimeCapGold}, false},
		{"a win would exceed the cap", true, Viewer{LifetimeSentGold: LifetimeCapGold - PayoutGold + 1}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Eligible(c.inPool, c.v))
		})
	}
}

func TestEnroll(t *testing.T) {
	alice := Member{TwitchUserID: "1", CharacterName: "Alice"}
	cases := []struct {
		name            string
		current, holder *Member
		want            Member
		kind            ChangeKind
		old             string
		code            errs.Code
	}{
		{"new viewer, free name", nil, nil, Member{TwitchUserID: "1", CharacterName: "Alice"}, Enrolled, "", ""},
		{"same viewer, same name", &alice, &alice, Member{TwitchUserID: "1", CharacterName: "Alice"}, Unchanged, "", ""},
		{"same viewer, new name", &alice, nil, Member{TwitchUserID: "1", CharacterName: "Bob"}, Renamed, "Alice", ""},
		{"same viewer, new spelling", &alice, &alice, Member{TwitchUserID: "1", CharacterName: "ALICE"}, Renamed, "Alice", ""},
		{"name held by another viewer", nil, &alice, Member{TwitchUserID: "2", CharacterName: "alice"}, "", "", errs.CharacterNameTaken},
		{"rename onto another viewer's name", &Member{TwitchUserID: "2", CharacterName: "Bob"}, &alice,
			Member{TwitchUserID: "2", CharacterName: "Alice"}, "", "", errs.CharacterNameTaken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Enroll(c.current, c.holder, c.want)
			if c.code != "" {
				require.Error(t, err)
				assert.Equal(t, c.code, errs.CodeOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.kind, got.Kind)
			assert.Equal(t, c.old, got.OldName)
			assert.Equal(t, c.want, got.Member)
		})
	}
}

func TestMemberFolded_ComparesCyrillicAndGermanCaseInsensitively(t *testing.T) {
	assert.Equal(t, Member{CharacterName: "Норинн"}.Folded(), Member{CharacterName: "нОРИНН"}.Folded())
	assert.Equal(t, Member{CharacterName: "Straße"}.Folded(), Member{CharacterName: "STRASSE"}.Folded())
}

func TestChatPolicyScreen(t *testing.T) {
	base := ChatMessage{MessageID: "m", BroadcasterUserID: "b1", UserID: "u", Text: "!twgold Alice", Badges: []string{"subscriber"}}
	with := func(f func(*ChatMessage)) ChatMessage { m := base; f(&m); return m }
	def := ChatPolicy{BroadcasterID: "b1"}
	prime := ChatPolicy{BroadcasterID: "b1", SubscriberBadges: []string{"subscriber", "founder", "premium"}}
	cases := []struct {
		name   string
		policy ChatPolicy
		msg    ChatMessage
		ignore string
		raw    string
	}{
		{"subscriber", def, base, "", "Alice"},
		{"founder", def, with(func(m *ChatMessage) { m.Badges = []string{"founder"} }), "", "Alice"},
		{"badge case ignored", def, with(func(m *ChatMessage) { m.Badges = []string{"Subscriber"} }), "", "Alice"},
		{"prefix any case", def, with(func(m *ChatMessage) { m.Text = "  !TWGOLD   Alice " }), "", "Alice"},
		{"no badges", def, with(func(m *ChatMessage) { m.Badges = nil }), IgnoreNotSubscriber, ""},
		{"other badges", def, with(func(m *ChatMessage) { m.Badges = []string{"vip", "moderator"} }), IgnoreNotSubscriber, ""},
		{"premium by default", def, with(func(m *ChatMessage) { m.Badges = []string{"premium"} }), IgnoreNotSubscriber, ""},
		{"premium when configured", prime, with(func(m *ChatMessage) { m.Badges = []string{"premium"} }), "", "Alice"},
		{"other channel", def, with(func(m *ChatMessage) { m.BroadcasterUserID = "b2" }), IgnoreOtherChannel, ""},
		{"any channel when unconfigured", ChatPolicy{}, with(func(m *ChatMessage) { m.BroadcasterUserID = "b2" }), "", "Alice"},
		{"shared chat relay", def, with(func(m *ChatMessage) { m.SourceBroadcasterUserID = "b9" }), IgnoreSharedChat, ""},
		{"source is the channel itself", def, with(func(m *ChatMessage) { m.SourceBroadcasterUserID = "b1" }), "", "Alice"},
		{"no name", def, with(func(m *ChatMessage) { m.Text = "!twgold" }), IgnoreNotCommand, ""},
		{"extra words", def, with(func(m *ChatMessage) { m.Text = "!twgold Alice please" }), IgnoreNotCommand, ""},
		{"gift command", def, with(func(m *ChatMessage) { m.Text = "!twgift Alice" }), IgnoreNotCommand, ""},
		{"ordinary chat", def, with(func(m *ChatMessage) { m.Text = "hello" }), IgnoreNotCommand, ""},
		{"malformed name still screened in", def, with(func(m *ChatMessage) { m.Text = "!twgold Al1ce" }), "", "Al1ce"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, ignore := c.policy.Screen(c.msg)
			assert.Equal(t, c.ignore, ignore)
			assert.Equal(t, c.raw, raw)
		})
	}
}
