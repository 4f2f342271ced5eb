// Package eventsub is Twitch EventSub over the webhook transport: the request headers,
// the message signature (HMAC-SHA256 over message id + timestamp + raw body), the
// message bodies and their decoders, and a Sender that plays Twitch in tests and
// benchmarks by posting correctly signed deliveries to a URL.
package eventsub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Request headers Twitch sets on every delivery.
const (
	HeaderMessageID           = "Twitch-Eventsub-Message-Id"
	HeaderMessageRetry        = "Twitch-Eventsub-Message-Retry"
	HeaderMessageType         = "Twitch-Eventsub-Message-Type"
	HeaderMessageSignature    = "Twitch-Eventsub-Message-Signature"
	HeaderMessageTimestamp    = "Twitch-Eventsub-Message-Timestamp"
	HeaderSubscriptionType    = "Twitch-Eventsub-Subscription-Type"
	HeaderSubscriptionVersion = "Twitch-Eventsub-Subscription-Version"
)

// Message types (the Twitch-Eventsub-Message-Type header).
const (
	TypeNotification = "notification"
	TypeVerification = "webhook_callback_verification"
	TypeRevocation   = "revocation"
)

// MaxBody bounds a delivery body the product accepts (ingest, and the gateway in front of
// it); chat notifications are a few KiB. A larger body is refused with invalid_payload.
const MaxBody = 1 << 20

// SubscriptionChatMessage is the subscription type the product listens to.
const SubscriptionChatMessage = "channel.chat.message"

// signaturePrefix names the algorithm in the signature header.
const signaturePrefix = "sha256="

// Sign is the value of the Twitch-Eventsub-Message-Signature header for a delivery:
// "sha256=" + hex(HMAC-SHA256(secret, id + timestamp + body)). id and timestamp are
// the raw header values, body the raw request body, byte for byte.
func Sign(secret, id, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, id, timestamp, body))
}

// Verify reports whether signature is the signature of (id, timestamp, body) under
// secret. The comparison is constant-time over the decoded MAC. An empty secret never
// verifies: a misconfigured deployment must refuse deliveries, not accept them all.
func Verify(secret, id, timestamp string, body []byte, signature string) bool {
	if secret == "" || len(signature) != len(signaturePrefix)+2*sha256.Size || signature[:len(signaturePrefix)] != signaturePrefix {
		return false
	}
	got, err := hex.DecodeString(signature[len(signaturePrefix):])
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac(secret, id, timestamp, body))
}

func mac(secret, id, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(id))
	h.Write([]byte(timestamp))
	h.Write(body)
	return h.Sum(nil)
}

// ParseTimestamp reads the Twitch-Eventsub-Message-Timestamp header: RFC 3339, Twitch
// sends nanoseconds ("2023-03-09T04:44:48.062323705Z").
func ParseTimestamp(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("message timestamp %q: %w", v, err)
	}
	return t, nil
}

// FormatTimestamp is how Twitch writes a message timestamp (UTC, nanoseconds).
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
