package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"

	"github.com/mimiron/mgm/services/pool/app"
)

// ChatBatchHandler decodes chat command envelopes and enrolls them in one transaction.
// A body that does not decode is poison (terminated); storage failures are retried.
func ChatBatchHandler(svc *app.Service) natsx.BatchHandler {
	return func(ctx context.Context, msgs []jetstream.Msg) []error {
		out := make([]error, len(msgs))
		cmds := make([]events.ChatCommand, 0, len(msgs))
		index := make([]int, 0, len(msgs))
		for i, m := range msgs {
			var cmd events.ChatCommand
			if _, err := events.Decode(m.Data(), &cmd); err != nil {
				out[i] = errs.Wrap(errs.Invalid, err, "undecodable chat command")
				continue
			}
			cmds = append(cmds, cmd)
			index = append(index, i)
		}
		if len(cmds) > 0 {
			for k, err := range svc.HandleChatBatch(ctx, cmds) {
				out[index[k]] = err
			}
		}
		return out
	}
}
