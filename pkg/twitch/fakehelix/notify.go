package fakehelix

// What the fake sends to subscribers, whatever their transport: chat notifications and
// revocations (and the account changes that cause them).

import (
	"encoding/json"
	"fmt"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// SendChat delivers a channel.chat.message notification for o to every enabled
// subscription of o.BroadcasterID: a signed POST to a webhook callback (answered
// before SendChat returns), a notification frame on a WebSocket session. It returns how
// many subscriptions accepted it (2xx from a webhook, queued on a socket). A webhook
// that keeps failing is revoked with notification_failures_exceeded after
// SetMaxDeliveryFailures failures in a row.
func (s *Server) SendChat(o eventsub.ChatMessageOpts) int {
	event := eventsub.ChatMessageEvent(o)
	s.mu.Lock()
	var hooks []Subscription
	delivered := 0
	for _, sub := range s.subs {
		if sub.Status != StatusEnabled || sub.Type != eventsub.SubscriptionChatMessage || sub.Condition["broadcaster_user_id"] != o.BroadcasterID {
			continue
		}
		switch sub.Transport.Method {
		case "webhook":
			hooks = append(hooks, s.viewLocked(sub))
		case "websocket":
			if s.ws.notifyLocked(s.viewLocked(sub), event) {
				delivered++
			}
		}
	}
	s.mu.Unlock()
	for _, sub := range hooks {
		body, _ := json.Marshal(map[string]any{"subscription": sub, "event": event})
		if s.deliverWebhook(sub, eventsub.TypeNotification, body) {
			delivered++
		}
	}
	return delivered
}

// Revoke ends a subscription as Twitch does (reason: StatusAuthorizationRevoked,
// StatusUserRemoved, StatusNotificationFailuresExceeded, StatusVersionRemoved, …): its
// status changes and a revocation message goes to its transport
// (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#revoking-your-subscription,
// https://dev.twitch.tv/docs/eventsub/handling-websocket-events/#revocation-message).
// The subscription stays listed with that status.
func (s *Server) Revoke(id, reason string) error {
	s.mu.Lock()
	sub := s.subLocked(id)
	if sub == nil {
		s.mu.Unlock()
		return fmt.Errorf("fakehelix: no subscription %s", id)
	}
	sub.Status = reason
	v := s.viewLocked(sub)
	if v.Transport.Method == "websocket" {
		s.ws.revokeLocked(v)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"subscription": v})
	s.deliverWebhook(v, eventsub.TypeRevocation, body)
	return nil
}

// RevokeAuthorization plays userID disconnecting the application: its tokens stop
// working, its refresh tokens are refused, and every subscription naming it in its
// condition is revoked with authorization_revoked
// (https://dev.twitch.tv/docs/authentication/#how-do-tokens-become-invalid — unknown
// anchor; "The user disconnects your app").
func (s *Server) RevokeAuthorization(userID string) {
	s.endUser(userID, StatusAuthorizationRevoked, false)
}

// RemoveUser plays userID's account being closed or suspended: like
// RevokeAuthorization, with user_removed.
func (s *Server) RemoveUser(userID string) {
	s.endUser(userID, StatusUserRemoved, true)
}

func (s *Server) endUser(userID, reason string, removed bool) {
	s.mu.Lock()
	u := s.userLocked(userID)
	u.authorized, u.scopes = false, nil
	u.removed = u.removed || removed
	s.dropUserTokensLocked(userID)
	var ids []string
	for _, o := range s.subs {
		if o.active() && (o.Condition["user_id"] == userID || o.Condition["broadcaster_user_id"] == userID) {
			ids = append(ids, o.ID)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		_ = s.Revoke(id, reason)
	}
}
