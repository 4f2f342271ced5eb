// Package app holds ingest's one use case: turn a verified chat message into a chat
// command for the consumers, or decide it is ordinary chat. The transport (the EventSub
// webhook today) maps Twitch's payload to ChatMessage; the Publisher stores commands.
package app

import (
	"context"
	"time"

	"github.com/mimiron/mgm/pkg/domain"
)

// ChatMessage is a channel.chat.message as ingest needs it, whatever the transport: the
// fields the consumers' rules read (domain.ChatMessage), carried on to them unchanged.
type ChatMessage = domain.ChatMessage

// Command is a chat command to store for the consumers. DeliveryID is Twitch's id of
// the delivery (Twitch-Eventsub-Message-Id): a redelivery carries the same one, so the
// store keeps one copy.
type Command struct {
	DeliveryID string
	Kind       domain.CommandKind
	SentAt     time.Time
	Message    ChatMessage
}

// Publisher stores a command durably; duplicate reports that a command with the same
// delivery id was already stored (a replayed delivery), in which case nothing changed.
type Publisher interface {
	Publish(ctx context.Context, c Command) (duplicate bool, err error)
}

// Outcome is what became of a chat message.
type Outcome int

// Outcomes of Service.Chat.
const (
	Ignored   Outcome = iota // not a chat command: nothing published
	Published                // a new chat command is stored
	Duplicate                // the delivery was published before: nothing changed
)

func (o Outcome) String() string {
	switch o {
	case Published:
		return "published"
	case Duplicate:
		return "duplicate"
	default:
		return "ignored"
	}
}

// Service is ingest's use case.
type Service struct {
	Publisher Publisher
}

// Chat stores m as a command when its text is a `!twgold`/`!twgift` command; sentAt is
// the delivery's timestamp. Enrollment rules (subscriber badges, Shared Chat relays, the
// chat message_id) are the consumers'.
func (s Service) Chat(ctx context.Context, deliveryID string, sentAt time.Time, m ChatMessage) (Outcome, error) {
	c, ok := s.Command(deliveryID, sentAt, m)
	if !ok {
		return Ignored, nil
	}
	return s.Store(ctx, c)
}

// Command is m as the command to store, or false when m is ordinary chat. A transport
// that keeps commands until they are stored (the EventSub WebSocket, which Twitch does
// not redeliver) splits Chat in two: Command when the message arrives, Store until it
// works.
func (s Service) Command(deliveryID string, sentAt time.Time, m ChatMessage) (Command, bool) {
	if !domain.LooksLikeCommand(m.Text) {
		return Command{}, false
	}
	cmd, ok := domain.ParseCommand(m.Text)
	if !ok {
		return Command{}, false
	}
	return Command{DeliveryID: deliveryID, Kind: cmd.Kind, SentAt: sentAt.UTC(), Message: m}, true
}

// Store stores c: Published, or Duplicate when a command with its delivery id was
// already stored.
func (s Service) Store(ctx context.Context, c Command) (Outcome, error) {
	dup, err := s.Publisher.Publish(ctx, c)
	if err != nil {
		return Ignored, err
	}
	if dup {
		return Duplicate, nil
	}
	return Published, nil
}
