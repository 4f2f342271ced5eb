package fakehelix

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// EventSub subscriptions as Helix manages them: create (webhook or WebSocket
// transport), list, delete, with the cost, conflict and authorisation rules of
// https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription. Delivery is in
// webhook.go and websocket.go, what the fake sends in notify.go.

// Subscription statuses (https://dev.twitch.tv/docs/api/reference/#get-eventsub-subscriptions).
const (
	StatusEnabled                      = "enabled"
	StatusVerificationPending          = "webhook_callback_verification_pending"
	StatusVerificationFailed           = "webhook_callback_verification_failed"
	StatusNotificationFailuresExceeded = "notification_failures_exceeded"
	StatusAuthorizationRevoked         = "authorization_revoked"
	StatusModeratorRemoved             = "moderator_removed"
	StatusUserRemoved                  = "user_removed"
	StatusVersionRemoved               = "version_removed"
	StatusWebSocketDisconnected        = "websocket_disconnected"
	StatusWebSocketFailedToReconnect   = "websocket_failed_to_reconnect"
)

// Transport is where a subscription's messages go.
type Transport struct {
	Method         string `json:"method"`
	Callback       string `json:"callback,omitempty"`
	SessionID      string `json:"session_id,omitempty"`
	ConnectedAt    string `json:"connected_at,omitempty"`
	DisconnectedAt string `json:"disconnected_at,omitempty"`
}

// Subscription is an EventSub subscription held by the fake.
type Subscription struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Version   string            `json:"version"`
	Condition map[string]string `json:"condition"`
	Transport Transport         `json:"transport"`
	CreatedAt time.Time         `json:"created_at"`
	Cost      int               `json:"cost"`
	Secret    string            `json:"-"`

	owner    string // user id of the user token that created a WebSocket subscription
	failures int    // consecutive failed webhook deliveries
}

// active reports whether the subscription counts against duplicates: enabled or waiting
// for its verification.
func (s *Subscription) active() bool {
	return s.Status == StatusEnabled || s.Status == StatusVerificationPending
}

// maxTotalCost is the application's cost budget for webhook subscriptions
// ("max_total_cost": 10000 in the reference examples of
// https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription);
// maxWebSocketCost a user's for WebSocket subscriptions (10 per client id and user,
// https://dev.twitch.tv/docs/eventsub/handling-websocket-events/#subscription-limits;
// twitch4j's EventSub WebSocket notes say the same).
const (
	maxTotalCost     = 10000
	maxWebSocketCost = 10
)

// maxCost is the budget the caller's subscriptions draw on: the application's for an
// app token, the user's WebSocket budget for a user token.
func maxCost(caller token) int {
	if caller.userID != "" {
		return maxWebSocketCost
	}
	return maxTotalCost
}

type createRequest struct {
	Type      string            `json:"type"`
	Version   string            `json:"version"`
	Condition map[string]string `json:"condition"`
	Transport struct {
		Method    string `json:"method"`
		Callback  string `json:"callback"`
		Secret    string `json:"secret"`
		SessionID string `json:"session_id"`
	} `json:"transport"`
}

// handleCreateSub is POST /helix/eventsub/subscriptions
// (https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription).
func (s *Server) handleCreateSub(w http.ResponseWriter, r *http.Request, caller token) {
	var in createRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "Malformed request body")
		return
	}
	if in.Type == "" || in.Version == "" || in.Condition == nil {
		writeErr(w, http.StatusBadRequest, "The type, version, condition and transport fields are required")
		return
	}
	// The fake knows the one type the product uses
	// (https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage).
	if in.Type != eventsub.SubscriptionChatMessage || in.Version != "1" {
		writeErr(w, http.StatusBadRequest, "The combination of values in the version and type fields is not valid")
		return
	}
	b, reader := in.Condition["broadcaster_user_id"], in.Condition["user_id"]
	if b == "" || reader == "" || len(in.Condition) != 2 {
		writeErr(w, http.StatusBadRequest, "The condition object is missing one or more required fields, or has fields the type does not take")
		return
	}
	switch in.Transport.Method {
	case "webhook":
		s.createWebhookSub(w, in, caller)
	case "websocket":
		s.createWebSocketSub(w, in, caller)
	default:
		writeErr(w, http.StatusBadRequest, "The value specified in the method field is not valid")
	}
}

func (s *Server) createWebhookSub(w http.ResponseWriter, in createRequest, caller token) {
	// "The Authorization header is required and must specify an app access token if
	// the transport method is webhook"
	// (https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription, 401).
	if caller.userID != "" {
		writeErr(w, http.StatusUnauthorized, "The Authorization header is required and must specify an app access token if the transport method is webhook")
		return
	}
	// "The callback URL ... must use the HTTPS protocol and port 443" (same page,
	// transport.callback).
	cb, err := url.Parse(in.Transport.Callback)
	if in.Transport.Callback == "" || err != nil || cb.Scheme != "https" || cb.Host == "" || (cb.Port() != "" && cb.Port() != "443") || cb.User != nil {
		writeErr(w, http.StatusBadRequest, "The URL in the transport's callback field is not valid. The URL must use the HTTPS protocol and the 443 port number")
		return
	}
	// "The secret ... must be an ASCII string that's a minimum of 10 characters long
	// and a maximum of 100 characters long" (same page, transport.secret).
	if n := len(in.Transport.Secret); n < 10 || n > 100 {
		writeErr(w, http.StatusBadRequest, "The length of the string in the secret field is not valid")
		return
	}
	b, reader := in.Condition["broadcaster_user_id"], in.Condition["user_id"]
	s.mu.Lock()
	// channel.chat.message with an app token: "requires user:read:chat and user:bot
	// scopes from chatting user, and either channel:bot scope from broadcaster or
	// moderator status"
	// (https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage).
	// Twitch answers 403 "subscription missing proper authorization".
	if !s.hasScopesLocked(reader, "user:read:chat", "user:bot") ||
		(!s.hasScopesLocked(b, "channel:bot") && !s.isModeratorLocked(b, reader)) {
		s.mu.Unlock()
		writeErr(w, http.StatusForbidden, "subscription missing proper authorization")
		return
	}
	if s.conflictLocked(in) {
		s.mu.Unlock()
		writeErr(w, http.StatusConflict, "subscription already exists")
		return
	}
	sub := &Subscription{ID: randomUUID(), Status: StatusVerificationPending, Type: in.Type, Version: in.Version,
		Condition: copyMap(in.Condition), CreatedAt: s.now().UTC().Truncate(time.Millisecond), Secret: in.Transport.Secret}
	sub.Transport = Transport{Method: "webhook", Callback: in.Transport.Callback}
	s.subs = append(s.subs, sub)
	s.issued = append(s.issued, in.Transport.Secret)
	out := s.viewLocked(sub)
	total, cost := s.totalsLocked("")
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{out}, "total": total, "total_cost": cost, "max_total_cost": maxTotalCost})
	// Twitch verifies the callback after answering: it posts a
	// webhook_callback_verification with a challenge, and the subscription is enabled
	// only when the callback answers 2xx with exactly the challenge as text/plain
	// (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#responding-to-a-challenge-request).
	go s.verify(sub.ID)
}

func (s *Server) createWebSocketSub(w http.ResponseWriter, in createRequest, caller token) {
	// WebSocket subscriptions need a user access token
	// (https://dev.twitch.tv/docs/eventsub/manage-subscriptions/#subscribing-to-events,
	// https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription, 401).
	if caller.userID == "" {
		writeErr(w, http.StatusUnauthorized, "The Authorization header is required and must specify a user access token if the transport method is websocket")
		return
	}
	if in.Transport.SessionID == "" {
		writeErr(w, http.StatusBadRequest, "The session_id field is required if you specify the WebSocket transport method")
		return
	}
	// channel.chat.message with a user token: "requires user:read:chat scope from
	// chatting user" — the token's own user
	// (https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage).
	if in.Condition["user_id"] != caller.userID || !hasAll(caller.scopes, "user:read:chat") {
		writeErr(w, http.StatusForbidden, "subscription missing proper authorization")
		return
	}
	s.mu.Lock()
	sess := s.ws.sessionLocked(in.Transport.SessionID)
	if sess == nil || !sess.welcomed {
		s.mu.Unlock()
		// Text unknown; a session that is gone or never connected is refused.
		writeErr(w, http.StatusBadRequest, "The session_id is not valid or the WebSocket has disconnected")
		return
	}
	if s.conflictLocked(in) {
		s.mu.Unlock()
		writeErr(w, http.StatusConflict, "subscription already exists")
		return
	}
	// "Each WebSocket connection can have up to 300 enabled subscriptions" and a user
	// token may hold up to 3 connections with subscriptions
	// (https://dev.twitch.tv/docs/eventsub/handling-websocket-events/#subscription-limits).
	sessions := map[string]bool{in.Transport.SessionID: true}
	perSession := 0
	for _, o := range s.subs {
		if o.Transport.Method == "websocket" && o.Status == StatusEnabled && o.owner == caller.userID {
			sessions[o.Transport.SessionID] = true
			if o.Transport.SessionID == in.Transport.SessionID {
				perSession++
			}
		}
	}
	if len(sessions) > 3 || perSession >= 300 {
		s.mu.Unlock()
		writeErr(w, http.StatusTooManyRequests, "websocket transport session limit exceeded")
		return
	}
	sub := &Subscription{ID: randomUUID(), Status: StatusEnabled, Type: in.Type, Version: in.Version,
		Condition: copyMap(in.Condition), CreatedAt: s.now().UTC().Truncate(time.Millisecond), owner: caller.userID}
	sub.Transport = Transport{Method: "websocket", SessionID: in.Transport.SessionID, ConnectedAt: eventsub.FormatTimestamp(sess.connectedAt)}
	s.subs = append(s.subs, sub)
	sess.subscribed = true
	out := s.viewLocked(sub)
	total, cost := s.totalsLocked(caller.userID)
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{out}, "total": total, "total_cost": cost, "max_total_cost": maxCost(caller)})
}

// conflictLocked: "409 Conflict — A subscription already exists for the specified event
// type and condition combination" (https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription).
// The fake counts an active subscription with the same type, version and condition
// whatever its transport or callback (unknown whether Twitch does; stricter: a backend
// that moves its callback must delete the old subscription first).
func (s *Server) conflictLocked(in createRequest) bool {
	for _, o := range s.subs {
		if o.active() && o.Type == in.Type && o.Version == in.Version && sameCondition(o.Condition, in.Condition) {
			return true
		}
	}
	return false
}

func (s *Server) totalsLocked(owner string) (total, cost int) {
	for _, o := range s.subs {
		if o.owner == owner {
			total++
			cost += o.Cost
		}
	}
	return total, cost
}

func (s *Server) viewLocked(sub *Subscription) Subscription {
	v := *sub
	v.Condition = copyMap(sub.Condition)
	return v
}

func (s *Server) subLocked(id string) *Subscription {
	for _, o := range s.subs {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// subscriptions it created. At most one of the status, type, user_id and
// subscription_id filters; pages of up to 100 with a cursor.
func (s *Server) handleListSubs(w http.ResponseWriter, r *http.Request, caller token) {
	q := r.URL.Query()
	filters := 0
	for _, k := range []string{"status", "type", "user_id", "subscription_id"} {
		if q.Has(k) {
			filters++
		}
	}
	if filters > 1 {
		writeErr(w, http.StatusBadRequest, "The request must specify only one of the status, type, user_id or subscription_id query parameters")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []Subscription
	for _, o := range s.subs {
		if o.owner != caller.userID {
			continue
		}
		switch {
		case q.Has("status") && o.Status != q.Get("status"),
			q.Has("type") && o.Type != q.Get("type"),
			q.Has("user_id") && o.Condition["user_id"] != q.Get("user_id") && o.Condition["broadcaster_user_id"] != q.Get("user_id"),
			q.Has("subscription_id") && o.ID != q.Get("subscription_id"):
			continue
		}
		all = append(all, s.viewLocked(o))
	}
	start := 0
	if c := q.Get("after"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "c"))
		if err != nil || n < 0 || n > len(all) {
			writeErr(w, http.StatusBadRequest, "The cursor in the after query parameter is not valid")
			return
		}
		start = n
	}
	end := min(start+100, len(all))
	page := map[string]any{}
	if end < len(all) {
		page["cursor"] = "c" + strconv.Itoa(end)
	}
	total, cost := s.totalsLocked(caller.userID)
	writeJSON(w, http.StatusOK, map[string]any{"data": append([]Subscription{}, all[start:end]...), "total": total,
		"total_cost": cost, "max_total_cost": maxCost(caller), "pagination": page})
}

// handleDeleteSub is DELETE /helix/eventsub/subscriptions?id=…: 204, or 404 "The
// subscription was not found" (https://dev.twitch.tv/docs/api/reference/#delete-eventsub-subscription).
// An app token deletes the application's webhook subscriptions, a user token the
// WebSocket subscriptions it created.
func (s *Server) handleDeleteSub(w http.ResponseWriter, r *http.Request, caller token) {
	id := r.URL.Query().Get("id")
	if id == "" {
		writeErr(w, http.StatusBadRequest, "Missing required parameter \"id\"")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.subs {
		if o.ID == id && o.owner == caller.userID {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeErr(w, http.StatusNotFound, "The subscription was not found")
}

func sameCondition(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
