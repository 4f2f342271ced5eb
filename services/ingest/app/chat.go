// Package app holds ingest's one use case: turn a verified channel.chat.message into a
// chat command event on the message bus, or decide it is ordinary chat.
package app

import (
	"context"
	"time"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// Source is the envelope source of every event ingest publishes.
const Source = "ingest"

// Publisher stores an event durably; duplicate reports that an event with the same id
// was already stored (a replayed delivery), in which case nothing changed.
type Publisher interface {
	Publish(ctx context.Context, env events.Envelope) (duplicate bool, err error)
}

// Outcome is what became of a chat message.
type Outcome int

// Outcomes of Chat.Handle.
const (
	Ignored   Outcome = iota // not a chat command: nothing published
	Published                // a new chat command event is stored
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

// Chat publishes the chat commands among chat messages.
type Chat struct {
	Pub Publisher
}

// Handle publishes m as a ChatCommand when its text is a `!twgold`/`!twgift` command.
// deliveryID (Twitch-Eventsub-Message-Id) becomes the event id, so a redelivery is
// deduplicated by the bus; sentAt is the delivery's timestamp. Enrollment rules
// (subscriber badges, Shared Chat relays, the chat message_id) are the consumers'.
func (c Chat) Handle(ctx context.Context, deliveryID string, sentAt time.Time, m eventsub.ChatMessage) (Outcome, error) {
	if !domain.LooksLikeCommand(m.Message.Text) {
		return Ignored, nil
	}
	cmd, ok := domain.ParseCommand(m.Message.Text)
	if !ok {
		return Ignored, nil
	}
	subject := events.ChatTwGold
	if cmd.Kind == domain.CommandGift {
		subject = events.ChatTwGift
	}
	env, err := events.New(deliveryID, subject, Source, sentAt, events.ChatCommand{
		MessageID:               m.MessageID,
		BroadcasterUserID:       m.BroadcasterUserID,
		SourceBroadcasterUserID: m.SourceBroadcasterUserID,
		UserID:                  m.ChatterUserID,
		UserLogin:               m.ChatterUserLogin,
		UserName:                m.ChatterUserName,
		Text:                    m.Message.Text,
		Badges:                  m.BadgeSetIDs(),
		SentAt:                  sentAt.UTC(),
	})
	if err != nil {
		return Ignored, err
	}
	dup, err := c.Pub.Publish(ctx, env)
	if err != nil {
		return Ignored, err
	}
	if dup {
		return Duplicate, nil
	}
	return Published, nil
}
