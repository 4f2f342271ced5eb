package oauth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is an account the backend holds tokens for (docs/product.md §12).
type Role string

// Roles.
const (
	// Broadcaster is the channel's own account: the subscriber check, and letting the
	// bot into the channel.
	Broadcaster Role = "broadcaster"
	// Bot is an optional separate account that reads chat and posts the announcement;
	// without one the broadcaster does both.
	Bot Role = "bot"
)

// Scopes.
const (
	ScopeChannelReadSubscriptions = "channel:read:subscriptions"
	ScopeChannelBot               = "channel:bot"
	ScopeUserReadChat             = "user:read:chat"
	ScopeUserWriteChat            = "user:write:chat"
	ScopeUserBot                  = "user:bot"
)

// LoginScopes is what each role is asked for at login. The broadcaster is asked for
// the chat scopes too, so a deployment without a bot account works.
func LoginScopes(r Role) []string {
	if r == Bot {
		return []string{ScopeUserReadChat, ScopeUserWriteChat, ScopeUserBot}
	}
	return []string{ScopeChannelReadSubscriptions, ScopeChannelBot, ScopeUserReadChat, ScopeUserWriteChat, ScopeUserBot}
}

// Feature is something the backend does with Twitch.
type Feature string

// Features whose scopes are checked at start.
const (
	// Announcements: the reward line in chat, posted with the app token as the bot (or
	// the broadcaster): user:write:chat and user:bot from the sender, channel:bot from
	// the broadcaster (https://dev.twitch.tv/docs/chat/send-receive-messages/ — or
	// moderator status, which scopes cannot show).
	Announcements Feature = "announcements"
	// SubscriberCheck: Get Broadcaster Subscriptions with the broadcaster's token and
	// channel:read:subscriptions
	// (https://dev.twitch.tv/docs/api/reference/#get-broadcaster-subscriptions).
	SubscriberCheck Feature = "subscriber check"
	// ChatWebhook: channel.chat.message over a webhook, created with the app token:
	// user:read:chat and user:bot from the reader, channel:bot from the broadcaster
	// (https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage).
	ChatWebhook Feature = "chat over webhook"
	// ChatWebSocket: channel.chat.message over the EventSub WebSocket, created with the
	// reader's own token: user:read:chat from the reader (same page).
	ChatWebSocket Feature = "chat over WebSocket"
)

// Account is what the backend knows of one logged-in account: its scopes as
// /oauth2/validate last reported them. A nil *Account is "not logged in".
type Account struct {
	UserID string
	Login  string
	Scopes []string
}

// Gap is one thing a feature lacks.
type Gap struct {
	Feature Feature
	Role    Role
	UserID  string   // the account that must grant it ("" when not logged in)
	Missing []string // scopes; empty when the account itself is missing
}

func (g Gap) String() string {
	who := string(g.Role)
	if g.UserID != "" {
		who += " (" + g.UserID + ")"
	}
	if len(g.Missing) == 0 {
		return fmt.Sprintf("%s: the %s account is not logged in", g.Feature, who)
	}
	return fmt.Sprintf("%s: the %s account has not granted %s", g.Feature, who, strings.Join(g.Missing, ", "))
}

// Check lists what each feature lacks given the accounts held (bot may be nil: the
// broadcaster then reads and posts). Features not in want are not checked.
func Check(broadcaster, bot *Account, want ...Feature) []Gap {
	sender, senderRole := bot, Bot
	if bot == nil {
		sender, senderRole = broadcaster, Broadcaster
	}
	var out []Gap
	need := func(f Feature, role Role, a *Account, scopes ...string) {
		if a == nil {
			g := Gap{Feature: f, Role: role}
			if !slices.ContainsFunc(out, func(o Gap) bool { return o.Feature == f && o.Role == role && len(o.Missing) == 0 }) {
				out = append(out, g)
			}
			return
		}
		var missing []string
		for _, s := range scopes {
			if !slices.Contains(a.Scopes, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			out = append(out, Gap{Feature: f, Role: role, UserID: a.UserID, Missing: missing})
		}
	}
	for _, f := range want {
		switch f {
		case Announcements:
			need(f, senderRole, sender, ScopeUserWriteChat, ScopeUserBot)
			need(f, Broadcaster, broadcaster, ScopeChannelBot)
		case SubscriberCheck:
			need(f, Broadcaster, broadcaster, ScopeChannelReadSubscriptions)
		case ChatWebhook:
			need(f, senderRole, sender, ScopeUserReadChat, ScopeUserBot)
			need(f, Broadcaster, broadcaster, ScopeChannelBot)
		case ChatWebSocket:
			need(f, senderRole, sender, ScopeUserReadChat)
		}
	}
	return out
}
