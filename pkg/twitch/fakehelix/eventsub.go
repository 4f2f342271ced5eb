package fakehelix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

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

// maxTotalCost is the application's cost budget ("max_total_cost": 10000 in the
// reference examples of https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription).
const maxTotalCost = 10000

// Route makes webhook callbacks under public (e.g. "https://mgm.example.com") reach
// local (e.g. an httptest server's "http://127.0.0.1:41234"): the fake's stand-in for
// DNS and TLS termination in front of the backend. Twitch only accepts https callbacks
// on port 443, so tests subscribe with the public address and route it to the real
// ingest. A callback with no route cannot be reached.
func (s *Server) Route(public, local string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[origin(public)] = strings.TrimRight(local, "/")
}

func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	host := p.Hostname()
	if port := p.Port(); port != "" && port != "443" {
		host += ":" + port
	}
	return strings.ToLower(p.Scheme) + "://" + strings.ToLower(host)
}

func (s *Server) deliveryURLLocked(callback string) (string, bool) {
	p, err := url.Parse(callback)
	if err != nil {
		return "", false
	}
	local, ok := s.routes[origin(callback)]
	if !ok {
		return "", false
	}
	return local + p.EscapedPath() + func() string {
		if p.RawQuery != "" {
			return "?" + p.RawQuery
		}
		return ""
	}(), true
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
	writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{out}, "total": total, "total_cost": cost, "max_total_cost": maxTotalCost})
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

// verify sends the challenge and enables or fails the subscription.
func (s *Server) verify(id string) {
	challenge := randomID()
	s.mu.Lock()
	sub := s.subLocked(id)
	if sub == nil || sub.Status != StatusVerificationPending {
		s.mu.Unlock()
		return
	}
	v := s.viewLocked(sub)
	target, routed := s.deliveryURLLocked(sub.Transport.Callback)
	logf := s.logf
	s.mu.Unlock()
	ok := false
	if routed {
		body, _ := json.Marshal(map[string]any{"challenge": challenge, "subscription": v})
		status, answer, ctype, err := s.post(target, v, eventsub.TypeVerification, randomUUID(), body)
		ok = err == nil && status >= 200 && status < 300 && answer == challenge && strings.HasPrefix(ctype, "text/plain")
		if !ok {
			logf("fakehelix: verification of %s failed: status %d, content-type %q, err %v", id, status, ctype, err)
		}
	} else {
		logf("fakehelix: verification of %s failed: no route to %s", id, v.Transport.Callback)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subLocked(id); sub != nil && sub.Status == StatusVerificationPending {
		if ok {
			sub.Status = StatusEnabled
		} else {
			sub.Status = StatusVerificationFailed
		}
	}
}

// post delivers one signed webhook message (headers and signature as in
// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#list-of-request-headers
// and #verifying-the-event-message).
func (s *Server) post(target string, sub Subscription, messageType, messageID string, body []byte) (status int, answer, ctype string, err error) {
	ts := eventsub.FormatTimestamp(time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set(eventsub.HeaderMessageID, messageID)
	h.Set(eventsub.HeaderMessageRetry, "0")
	h.Set(eventsub.HeaderMessageType, messageType)
	h.Set(eventsub.HeaderMessageTimestamp, ts)
	h.Set(eventsub.HeaderMessageSignature, eventsub.Sign(sub.Secret, messageID, ts, body))
	h.Set(eventsub.HeaderSubscriptionType, sub.Type)
	h.Set(eventsub.HeaderSubscriptionVersion, sub.Version)
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b), resp.Header.Get("Content-Type"), nil
}

// handleListSubs is GET /helix/eventsub/subscriptions
// (https://dev.twitch.tv/docs/api/reference/#get-eventsub-subscriptions): an app token
// lists the application's webhook subscriptions, a user token the WebSocket
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
		"total_cost": cost, "max_total_cost": maxTotalCost, "pagination": page})
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

// deliverWebhook posts one message and keeps the failure count: "If your server fails
// to respond ... Twitch retries ... if too many fail, the subscription's status is set
// to notification_failures_exceeded" (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/).
// The fake does not retry; each failure counts.
func (s *Server) deliverWebhook(sub Subscription, messageType string, body []byte) bool {
	s.mu.Lock()
	target, routed := s.deliveryURLLocked(sub.Transport.Callback)
	s.mu.Unlock()
	ok := false
	if routed {
		status, _, _, err := s.post(target, sub, messageType, randomUUID(), body)
		ok = err == nil && status >= 200 && status < 300
	}
	if messageType != eventsub.TypeNotification {
		return ok
	}
	s.mu.Lock()
	live := s.subLocked(sub.ID)
	revoke := false
	if live != nil {
		if ok {
			live.failures = 0
		} else if live.failures++; live.failures >= s.maxFailures && live.Status == StatusEnabled {
			revoke = true
		}
	}
	s.mu.Unlock()
	if revoke {
		s.Revoke(sub.ID, StatusNotificationFailuresExceeded)
	}
	return ok
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
