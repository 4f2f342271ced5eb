// Package eventsubws is a client of Twitch's EventSub WebSocket transport
// (https://dev.twitch.tv/docs/eventsub/handling-websocket-events/), for a backend with
// no public address: it connects, takes the session from session_welcome, has the
// subscriptions created for that session, watches the keepalive, follows
// session_reconnect without losing a notification, and answers anything it cannot
// trust — a garbage frame, an unknown message type, a welcome that never comes, a
// silent connection — with a log line and a fresh connection, never a crash. A lease
// (PGLease) keeps one connection per deployment; the other replicas wait on standby.
package eventsubws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// Message types (metadata.message_type,
// https://dev.twitch.tv/docs/eventsub/websocket-reference/).
const (
	TypeWelcome      = "session_welcome"
	TypeKeepalive    = "session_keepalive"
	TypeReconnect    = "session_reconnect"
	TypeNotification = "notification"
	TypeRevocation   = "revocation"
)

// MaxFrame bounds one message; chat notifications are a few KiB.
const MaxFrame = 1 << 20

// Session is the payload.session of a welcome or reconnect message.
type Session struct {
	ID               string
	Status           string
	KeepaliveTimeout time.Duration // 0 in a reconnect message
	ReconnectURL     string        // set in a reconnect message
	ConnectedAt      time.Time
}

// Message is one frame from the server.
type Message struct {
	ID                  string // metadata.message_id: the same on a resend (at-least-once)
	Type                string
	Timestamp           time.Time
	SubscriptionType    string
	SubscriptionVersion string
	Session             Session               // welcome, reconnect
	Subscription        eventsub.Subscription // notification, revocation
	Event               json.RawMessage       // notification
}

// ErrUnknownType is a well-formed frame of a message type this client does not know.
var ErrUnknownType = errors.New("unknown EventSub WebSocket message type")

type wire struct {
	Metadata struct {
		MessageID           string `json:"message_id"`
		MessageType         string `json:"message_type"`
		MessageTimestamp    string `json:"message_timestamp"`
		SubscriptionType    string `json:"subscription_type"`
		SubscriptionVersion string `json:"subscription_version"`
	} `json:"metadata"`
	Payload struct {
		Session *struct {
			ID                      string  `json:"id"`
			Status                  string  `json:"status"`
			KeepaliveTimeoutSeconds *int    `json:"keepalive_timeout_seconds"`
			ReconnectURL            *string `json:"reconnect_url"`
			ConnectedAt             string  `json:"connected_at"`
		} `json:"session"`
		Subscription *eventsub.Subscription `json:"subscription"`
		Event        json.RawMessage        `json:"event"`
	} `json:"payload"`
}

// Parse reads one frame strictly: metadata.message_id, message_type and a timestamp
// are required; a welcome needs a session id and a keepalive between 10 and 600
// seconds (the fake may allow less); a reconnect needs a ws:// or wss:// reconnect_url;
// a notification needs its subscription type and event; a revocation its subscription.
// Anything else is an error that names the problem without echoing the frame.
func Parse(frame []byte) (Message, error) {
	if len(frame) > MaxFrame {
		return Message{}, fmt.Errorf("frame of %d bytes is larger than %d", len(frame), MaxFrame)
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(frame))
	if err := dec.Decode(&w); err != nil {
		return Message{}, fmt.Errorf("frame is not a JSON message: %s", eventsub.JSONProblem(err))
	}
	if dec.More() {
		return Message{}, errors.New("frame has data after the message")
	}
	md := w.Metadata
	if md.MessageID == "" || md.MessageType == "" {
		return Message{}, errors.New("frame without metadata.message_id or metadata.message_type")
	}
	ts, err := time.Parse(time.RFC3339Nano, md.MessageTimestamp)
	if err != nil {
		return Message{}, errors.New("frame with an unreadable metadata.message_timestamp")
	}
	m := Message{ID: md.MessageID, Type: md.MessageType, Timestamp: ts,
		SubscriptionType: md.SubscriptionType, SubscriptionVersion: md.SubscriptionVersion}
	switch m.Type {
	case TypeWelcome, TypeReconnect:
		s := w.Payload.Session
		if s == nil || s.ID == "" {
			return Message{}, fmt.Errorf("%s without payload.session.id", m.Type)
		}
		m.Session = Session{ID: s.ID, Status: s.Status}
		if at, err := time.Parse(time.RFC3339Nano, s.ConnectedAt); err == nil {
			m.Session.ConnectedAt = at
		}
		if m.Type == TypeWelcome {
			if s.KeepaliveTimeoutSeconds == nil || *s.KeepaliveTimeoutSeconds < 1 || *s.KeepaliveTimeoutSeconds > 600 {
				return Message{}, errors.New("session_welcome without a keepalive_timeout_seconds between 1 and 600")
			}
			m.Session.KeepaliveTimeout = time.Duration(*s.KeepaliveTimeoutSeconds) * time.Second
		} else {
			if s.ReconnectURL == nil {
				return Message{}, errors.New("session_reconnect without payload.session.reconnect_url")
			}
			u, err := url.Parse(*s.ReconnectURL)
			if err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
				return Message{}, errors.New("session_reconnect with a reconnect_url that is not a ws:// or wss:// address")
			}
			m.Session.ReconnectURL = *s.ReconnectURL
		}
	case TypeKeepalive:
	case TypeNotification:
		if w.Payload.Subscription == nil || w.Payload.Subscription.Type == "" {
			return Message{}, errors.New("notification without payload.subscription.type")
		}
		if len(w.Payload.Event) == 0 || bytes.Equal(bytes.TrimSpace(w.Payload.Event), []byte("null")) {
			return Message{}, errors.New("notification without payload.event")
		}
		m.Subscription, m.Event = *w.Payload.Subscription, w.Payload.Event
	case TypeRevocation:
		if w.Payload.Subscription == nil || (w.Payload.Subscription.ID == "" && w.Payload.Subscription.Type == "") {
			return Message{}, errors.New("revocation without payload.subscription")
		}
		m.Subscription = *w.Payload.Subscription
	default:
		return m, fmt.Errorf("%w %q", ErrUnknownType, domain.Excerpt(m.Type, 40))
	}
	return m, nil
}
