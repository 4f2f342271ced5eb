package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"

	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

// ChatBatchHandler decodes chat command events and enrolls them in one transaction.
// A body that does not decode is poison (terminated); storage failures are retried.
func ChatBatchHandler(s *app.Service) natsx.BatchHandler {
	return func(ctx context.Context, msgs []jetstream.Msg) []error {
		out := make([]error, len(msgs))
		cmds := make([]domain.ChatMessage, 0, len(msgs))
		index := make([]int, 0, len(msgs))
		for i, m := range msgs {
			var cmd events.ChatCommand
			if _, err := natsx.DecodeEvent(m, &cmd); err != nil {
				out[i] = err
				continue
			}
			cmds = append(cmds, ChatMessage(cmd))
			index = append(index, i)
		}
		if len(cmds) > 0 {
			for k, err := range s.HandleChatBatch(ctx, cmds) {
				out[index[k]] = err
			}
		}
		return out
	}
}

// ChatMessage is a chat command event as the pool's rules read it.
func ChatMessage(c events.ChatCommand) domain.ChatMessage {
	return domain.ChatMessage{
		MessageID: c.MessageID, BroadcasterUserID: c.BroadcasterUserID, SourceBroadcasterUserID: c.SourceBroadcasterUserID,
		UserID: c.UserID, UserLogin: c.UserLogin, UserName: c.UserName, Text: c.Text, Badges: c.Badges,
	}
}
