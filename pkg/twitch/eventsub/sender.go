package eventsub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Sender plays Twitch for tests and benchmarks: it builds EventSub webhook deliveries,
// signs them with the shared secret and posts them to a callback URL. Options make a
// delivery stale, from the future, a replay of an earlier delivery id, or badly signed.
// A Sender is safe for concurrent use; its fields may be changed before first use.
type Sender struct {
	Secret string
	URL    string
	// Client posts the deliveries; NewSender gives one that keeps many connections
	// alive so benchmarks measure the receiver, not TCP handshakes.
	Client *http.Client
	// Now stamps deliveries (default time.Now); give the receiver's clock when it has
	// a controllable one.
	Now func() time.Time
	// SubscriptionID is written into every body's subscription.id.
	SubscriptionID string
}

// NewSender returns a Sender posting to url (the full callback URL, e.g.
// "http://127.0.0.1:8081/api/twitch/eventsub") signed with secret.
func NewSender(secret, url string) *Sender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 512
	return &Sender{
		Secret:         secret,
		URL:            url,
		Client:         &http.Client{Transport: tr, Timeout: 30 * time.Second},
		Now:            time.Now,
		SubscriptionID: uuid.NewString(),
	}
}

// ChatMessageOpts describes a channel.chat.message notification. Empty optional fields
// get plausible values.
type ChatMessageOpts struct {
	BroadcasterID string // event.broadcaster_user_id (required)
	UserID        string // event.chatter_user_id (required)
	UserLogin     string // default: lower-cased UserName, else "viewer<UserID>"
	UserName      string // default: UserLogin
	Text          string // event.message.text, e.g. "!twgold Thrall"
	// Badges are badge set ids ("subscriber", "founder", "moderator", …).
	Badges []string
	// MessageID is the chat message_id; a fresh UUID when empty.
	MessageID string
	// SourceBroadcasterID marks a Shared Chat relay: the channel the message was sent in.
	SourceBroadcasterID string
}

// Option changes one delivery.
type Option func(*delivery)

type delivery struct {
	id        string
	at        *time.Time
	age       time.Duration
	timestamp string
	badSig    bool
	retry     int
}

// WithDeliveryID sets Twitch-Eventsub-Message-Id (default: a fresh UUID). Send two
// deliveries with the same id to test replay protection.
func WithDeliveryID(id string) Option { return func(d *delivery) { d.id = id } }

// WithTimestamp stamps the delivery at t instead of now.
func WithTimestamp(t time.Time) Option { return func(d *delivery) { d.at = &t } }

// WithAge stamps the delivery age before now: 11*time.Minute makes it stale, a
// negative age puts it in the future.
func WithAge(age time.Duration) Option { return func(d *delivery) { d.age = age } }

// WithRawTimestamp sets the timestamp header verbatim (signed as given), e.g. to send
// one that does not parse.
func WithRawTimestamp(v string) Option { return func(d *delivery) { d.timestamp = v } }

// WithBadSignature signs the delivery with a different secret.
func WithBadSignature() Option { return func(d *delivery) { d.badSig = true } }

// WithRetry sets Twitch-Eventsub-Message-Retry (informational).
func WithRetry(n int) Option { return func(d *delivery) { d.retry = n } }

// DeliveryID is the Twitch-Eventsub-Message-Id a response's request was sent with.
func DeliveryID(resp *http.Response) string {
	if resp == nil || resp.Request == nil {
		return ""
	}
	return resp.Request.Header.Get(HeaderMessageID)
}

// ChatMessage posts a signed channel.chat.message notification. The caller closes the
// response body.
func (s *Sender) ChatMessage(ctx context.Context, o ChatMessageOpts, opts ...Option) (*http.Response, error) {
	return s.Send(ctx, TypeNotification, SubscriptionChatMessage, s.ChatMessageBody(o), opts...)
}

// Verification posts a signed webhook_callback_verification carrying challenge; a
// correct receiver answers 200 with the challenge as text/plain.
func (s *Sender) Verification(ctx context.Context, challenge string, opts ...Option) (*http.Response, error) {
	body, err := json.Marshal(struct {
		Challenge    string       `json:"challenge"`
		Subscription Subscription `json:"subscription"`
	}{challenge, s.subscription(StatusVerificationPending, "")})
	if err != nil {
		return nil, err
	}
	return s.Send(ctx, TypeVerification, SubscriptionChatMessage, body, opts...)
}

// Revocation posts a signed revocation with the given reason (StatusAuthorizationRevoked,
// StatusUserRemoved, …).
func (s *Sender) Revocation(ctx context.Context, reason string, opts ...Option) (*http.Response, error) {
	body, err := json.Marshal(struct {
		Subscription Subscription `json:"subscription"`
	}{s.subscription(reason, "")})
	if err != nil {
		return nil, err
	}
	return s.Send(ctx, TypeRevocation, SubscriptionChatMessage, body, opts...)
}

// Send signs body as a delivery of messageType and posts it. The caller closes the
// response body.
func (s *Sender) Send(ctx context.Context, messageType, subscriptionType string, body []byte, opts ...Option) (*http.Response, error) {
	req, err := s.NewRequest(ctx, messageType, subscriptionType, body, opts...)
	if err != nil {
		return nil, err
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post eventsub %s: %w", messageType, err)
	}
	return resp, nil
}

// NewRequest builds the signed request Send would post, for callers that drive their
// own client.
func (s *Sender) NewRequest(ctx context.Context, messageType, subscriptionType string, body []byte, opts ...Option) (*http.Request, error) {
	d := delivery{}
	for _, o := range opts {
		o(&d)
	}
	if d.id == "" {
		d.id = uuid.NewString()
	}
	ts := d.timestamp
	if ts == "" {
		at := s.now().Add(-d.age)
		if d.at != nil {
			at = *d.at
		}
		ts = FormatTimestamp(at)
	}
	secret := s.Secret
	if d.badSig {
		secret = "not-" + s.Secret + "-at-all"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set(HeaderMessageID, d.id)
	h.Set(HeaderMessageRetry, fmt.Sprint(d.retry))
	h.Set(HeaderMessageType, messageType)
	h.Set(HeaderMessageTimestamp, ts)
	h.Set(HeaderMessageSignature, Sign(secret, d.id, ts, body))
	h.Set(HeaderSubscriptionType, subscriptionType)
	h.Set(HeaderSubscriptionVersion, "1")
	return req, nil
}

// ChatMessageBody is the JSON body of a channel.chat.message notification, shaped like
// Twitch's (null for absent optional fields, fragments, …).
func (s *Sender) ChatMessageBody(o ChatMessageOpts) []byte {
	sub := s.subscription(StatusEnabled, o.BroadcasterID)
	body, err := json.Marshal(struct {
		Subscription Subscription    `json:"subscription"`
		Event        json.RawMessage `json:"event"`
	}{sub, ChatMessageEvent(o)})
	if err != nil {
		panic(fmt.Sprintf("eventsub: encode chat message: %v", err)) // only plain strings inside
	}
	return body
}

// ChatMessageEvent is the "event" object of a channel.chat.message notification
// (https://dev.twitch.tv/docs/eventsub/eventsub-reference/#channel-chat-message-event),
// shared by the webhook Sender and the fake Twitch's WebSocket server.
func ChatMessageEvent(o ChatMessageOpts) json.RawMessage {
	login := o.UserLogin
	if login == "" {
		login = strings.ToLower(o.UserName)
	}
	if login == "" {
		login = "viewer" + o.UserID
	}
	name := o.UserName
	if name == "" {
		name = login
	}
	msgID := o.MessageID
	if msgID == "" {
		msgID = uuid.NewString()
	}
	badges := make([]Badge, 0, len(o.Badges))
	for _, b := range o.Badges {
		info := ""
		if b == "subscriber" || b == "founder" {
			info = "1"
		}
		badges = append(badges, Badge{SetID: b, ID: "1", Info: info})
	}
	var srcID, srcLogin, srcMsg *string
	var srcBadges []Badge
	if o.SourceBroadcasterID != "" {
		id, lg, m := o.SourceBroadcasterID, "channel"+o.SourceBroadcasterID, uuid.NewString()
		srcID, srcLogin, srcMsg = &id, &lg, &m
		srcBadges = badges
	}
	type fragment struct {
		Type      string  `json:"type"`
		Text      string  `json:"text"`
		Cheermote *string `json:"cheermote"`
		Emote     *string `json:"emote"`
		Mention   *string `json:"mention"`
	}
	event := struct {
		BroadcasterUserID    string `json:"broadcaster_user_id"`
		BroadcasterUserLogin string `json:"broadcaster_user_login"`
		BroadcasterUserName  string `json:"broadcaster_user_name"`
		ChatterUserID        string `json:"chatter_user_id"`
		ChatterUserLogin     string `json:"chatter_user_login"`
		ChatterUserName      string `json:"chatter_user_name"`
		MessageID            string `json:"message_id"`
		Message              struct {
			Text      string     `json:"text"`
			Fragments []fragment `json:"fragments"`
		} `json:"message"`
		Color                       string  `json:"color"`
		Badges                      []Badge `json:"badges"`
		MessageType                 string  `json:"message_type"`
		Cheer                       *string `json:"cheer"`
		Reply                       *string `json:"reply"`
		ChannelPointsCustomRewardID *string `json:"channel_points_custom_reward_id"`
		SourceBroadcasterUserID     *string `json:"source_broadcaster_user_id"`
		SourceBroadcasterUserLogin  *string `json:"source_broadcaster_user_login"`
		SourceBroadcasterUserName   *string `json:"source_broadcaster_user_name"`
		SourceMessageID             *string `json:"source_message_id"`
		SourceBadges                []Badge `json:"source_badges"`
		IsSourceOnly                *bool   `json:"is_source_only"`
	}{
		BroadcasterUserID:          o.BroadcasterID,
		BroadcasterUserLogin:       "channel" + o.BroadcasterID,
		BroadcasterUserName:        "Channel" + o.BroadcasterID,
		ChatterUserID:              o.UserID,
		ChatterUserLogin:           login,
		ChatterUserName:            name,
		MessageID:                  msgID,
		Color:                      "#00FF7F",
		Badges:                     badges,
		MessageType:                "text",
		SourceBroadcasterUserID:    srcID,
		SourceBroadcasterUserLogin: srcLogin,
		SourceBroadcasterUserName:  srcLogin,
		SourceMessageID:            srcMsg,
		SourceBadges:               srcBadges,
	}
	event.Message.Text = o.Text
	event.Message.Fragments = []fragment{{Type: "text", Text: o.Text}}
	b, err := json.Marshal(event)
	if err != nil {
		panic(fmt.Sprintf("eventsub: encode chat message: %v", err)) // only plain strings inside
	}
	return b
}

func (s *Sender) subscription(status, broadcasterID string) Subscription {
	cond := map[string]string{"broadcaster_user_id": broadcasterID, "user_id": broadcasterID}
	return Subscription{
		ID:        s.SubscriptionID,
		Status:    status,
		Type:      SubscriptionChatMessage,
		Version:   "1",
		Condition: cond,
		Transport: Transport{Method: "webhook", Callback: s.URL},
		CreatedAt: FormatTimestamp(s.now().Add(-time.Hour)),
		Cost:      0,
	}
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
