package fakehelix

// The webhook transport: callbacks routed to a test's server, the verification
// handshake, signed deliveries and the failure count that revokes a subscription.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

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
