package eventsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mimiron/mgm/pkg/errs"
)

// Envelope is the body of every webhook delivery. Which fields are set depends on the
// message type: Challenge for webhook_callback_verification, Event for notification,
// only Subscription for revocation (its Status says why).
type Envelope struct {
	Subscription Subscription    `json:"subscription"`
	Challenge    string          `json:"challenge,omitempty"`
	Event        json.RawMessage `json:"event,omitempty"`
}

// Subscription describes the subscription a delivery belongs to.
type Subscription struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Version   string            `json:"version"`
	Condition map[string]string `json:"condition"`
	Transport Transport         `json:"transport"`
	CreatedAt string            `json:"created_at,omitempty"`
	Cost      int               `json:"cost"`
}

// Transport is a subscription's delivery method; Secret is only ever sent by us when
// creating a subscription, never by Twitch.
type Transport struct {
	Method   string `json:"method"`
	Callback string `json:"callback,omitempty"`
	Secret   string `json:"secret,omitempty"`
}

// Revocation reasons (Subscription.Status of a revocation).
const (
	StatusEnabled                      = "enabled"
	StatusVerificationPending          = "webhook_callback_verification_pending"
	StatusAuthorizationRevoked         = "authorization_revoked"
	StatusUserRemoved                  = "user_removed"
	StatusNotificationFailuresExceeded = "notification_failures_exceeded"
	StatusVersionRemoved               = "version_removed"
	StatusModeratorRemoved             = "moderator_removed"
	StatusVerificationFailed           = "webhook_callback_verification_failed"
)

// ChatMessage is the event of a channel.chat.message notification (version 1), reduced
// to what the product reads. Twitch sends null for absent optional fields; they decode
// to "" / nil.
type ChatMessage struct {
	BroadcasterUserID    string   `json:"broadcaster_user_id"`
	BroadcasterUserLogin string   `json:"broadcaster_user_login"`
	BroadcasterUserName  string   `json:"broadcaster_user_name"`
	ChatterUserID        string   `json:"chatter_user_id"`
	ChatterUserLogin     string   `json:"chatter_user_login"`
	ChatterUserName      string   `json:"chatter_user_name"`
	MessageID            string   `json:"message_id"`
	Message              ChatText `json:"message"`
	MessageType          string   `json:"message_type"`
	Badges               []Badge  `json:"badges"`
	Color                string   `json:"color"`

	// Shared Chat: set when the message was sent in another channel of the session and
	// relayed into this one.
	SourceBroadcasterUserID    string  `json:"source_broadcaster_user_id"`
	SourceBroadcasterUserLogin string  `json:"source_broadcaster_user_login"`
	SourceBroadcasterUserName  string  `json:"source_broadcaster_user_name"`
	SourceMessageID            string  `json:"source_message_id"`
	SourceBadges               []Badge `json:"source_badges"`
}

// ChatText is a chat message's text; the fragments (emotes, mentions, …) are not read.
type ChatText struct {
	Text string `json:"text"`
}

// Badge is one chat badge; SetID is what subscriber status is read from
// ("subscriber", "founder", "premium", …).
type Badge struct {
	SetID string `json:"set_id"`
	ID    string `json:"id"`
	Info  string `json:"info"`
}

// BadgeSetIDs lists the set ids of the chatter's badges in this channel.
func (m ChatMessage) BadgeSetIDs() []string {
	out := make([]string, 0, len(m.Badges))
	for _, b := range m.Badges {
		out = append(out, b.SetID)
	}
	return out
}

// IsSharedChatRelay reports whether the message was sent in another channel and only
// relayed into this one during a Shared Chat session.
func (m ChatMessage) IsSharedChatRelay() bool {
	return m.SourceBroadcasterUserID != "" && m.SourceBroadcasterUserID != m.BroadcasterUserID
}

// DecodeEnvelope reads a delivery body of the given message type and checks that the
// fields that type needs are there. Errors carry errs.Invalid: a malformed body is the
// sender's mistake. Unknown message types are only checked for being a JSON object.
func DecodeEnvelope(messageType string, body []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Envelope{}, errs.Wrap(errs.Invalid, err, "body is not an EventSub message: %s", JSONProblem(err))
	}
	if isNull(body) {
		return Envelope{}, errs.E(errs.Invalid, "body is not an EventSub message: null")
	}
	switch messageType {
	case TypeNotification:
		if env.Subscription.Type == "" {
			return Envelope{}, errs.E(errs.Invalid, "notification without subscription.type")
		}
		if len(env.Event) == 0 || isNull(env.Event) {
			return Envelope{}, errs.E(errs.Invalid, "notification without event")
		}
	case TypeVerification:
		if env.Challenge == "" {
			return Envelope{}, errs.E(errs.Invalid, "webhook_callback_verification without challenge")
		}
	case TypeRevocation:
		if env.Subscription.ID == "" && env.Subscription.Type == "" {
			return Envelope{}, errs.E(errs.Invalid, "revocation without subscription")
		}
	}
	return env, nil
}

// DecodeChatMessage reads the event of a channel.chat.message notification and checks
// that it names the channel, the chatter and the message.
func DecodeChatMessage(event []byte) (ChatMessage, error) {
	var m ChatMessage
	if err := json.Unmarshal(event, &m); err != nil {
		return ChatMessage{}, errs.Wrap(errs.Invalid, err, "channel.chat.message event: %s", JSONProblem(err))
	}
	switch {
	case m.BroadcasterUserID == "":
		return ChatMessage{}, errs.E(errs.Invalid, "channel.chat.message without broadcaster_user_id")
	case m.ChatterUserID == "":
		return ChatMessage{}, errs.E(errs.Invalid, "channel.chat.message without chatter_user_id")
	case m.MessageID == "":
		return ChatMessage{}, errs.E(errs.Invalid, "channel.chat.message without message_id")
	}
	return m, nil
}

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// JSONProblem describes a JSON decoding error without echoing its input (what a
// refusal of outside input may say: where it broke, or which field had the wrong type).
func JSONProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %s: want %s", typ.Field, typ.Type)
		}
		return fmt.Sprintf("want %s", typ.Type)
	default:
		return "invalid JSON"
	}
}
