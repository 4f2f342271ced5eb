package helix

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
)

// ExtensionPubSub sends Extension PubSub messages to the panels on one channel as the
// extension's backend service (Helix "Send Extension PubSub Message",
// https://dev.twitch.tv/docs/api/reference/#send-extension-pubsub-message): a JWT the
// service signs itself with the extension secret stands in for an OAuth token.
type ExtensionPubSub struct {
	helixURL string
	clientID string
	key      []byte
	hc       *http.Client
	now      func() time.Time
}

// MaxPubSubMessage is the documented message limit, "5 KB"; the sender keeps to the
// stricter reading, 5,000 bytes.
const MaxPubSubMessage = 5000

// pubsubTokenLife is how long a signed JWT is valid; each call signs a fresh one.
const pubsubTokenLife = time.Minute

// NewExtensionPubSub builds a sender from TWITCH_EXTENSION_CLIENT_ID, the first of
// TWITCH_EXTENSION_SECRETS (the one in force; the others are only still accepted) and
// TWITCH_HELIX_BASE_URL. It errs when the extension is not configured.
func NewExtensionPubSub(cfg config.Config, opts ...Option) (*ExtensionPubSub, error) {
	if cfg.ExtensionClientID == "" || len(cfg.ExtensionSecrets) == 0 {
		return nil, fmt.Errorf("extension pubsub: TWITCH_EXTENSION_CLIENT_ID and TWITCH_EXTENSION_SECRETS are required")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cfg.ExtensionSecrets[0]))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("extension pubsub: the first TWITCH_EXTENSION_SECRETS entry is not base64")
	}
	c := &Client{hc: &http.Client{Timeout: 10 * time.Second}, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return &ExtensionPubSub{
		helixURL: strings.TrimRight(orDefault(cfg.HelixBaseURL, "https://api.twitch.tv"), "/"),
		clientID: cfg.ExtensionClientID,
		key:      key,
		hc:       c.hc,
		now:      c.now,
	}, nil
}

// Send delivers message to target ("broadcast" or "whisper-<opaque user id>") on
// broadcasterID's channel. Errors are errs codes: rate_limited with the
// Ratelimit-Reset time (RateLimitReset), unavailable for 5xx and no answer, invalid
// for a refused body (too large, bad target), unauthorized for a refused JWT.
func (p *ExtensionPubSub) Send(ctx context.Context, broadcasterID, target, message string) error {
	const op = "send extension pubsub message"
	if len(message) > MaxPubSubMessage {
		return errs.E(errs.Invalid, "%s: message is %d bytes, over %d", op, len(message), MaxPubSubMessage)
	}
	body, err := json.Marshal(map[string]any{
		"broadcaster_id": broadcasterID,
		"target":         []string{target},
		"message":        message,
	})
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "%s: encode request", op)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.helixURL+"/helix/extensions/pubsub", bytes.NewReader(body))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "%s: build request", op)
	}
	req.Header.Set("Client-Id", p.clientID)
	req.Header.Set("Authorization", "Bearer "+p.token(broadcasterID, target))
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return transportError(op, err)
	}
	rb, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if rerr != nil {
		return transportError(op, rerr)
	}
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return (&Client{}).statusError(op, resp, rb)
}

// token signs the JWT an EBS sends with: HS256 over the decoded secret, role
// "external", the channel, and permission to send to this one target only
// (https://dev.twitch.tv/docs/extensions/reference/#jwt-schema).
func (p *ExtensionPubSub) token(channelID, target string) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	c, _ := json.Marshal(map[string]any{
		"exp":          p.now().Add(pubsubTokenLife).Unix(),
		"channel_id":   channelID,
		"role":         "external",
		"pubsub_perms": map[string][]string{"send": {target}},
	})
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}
