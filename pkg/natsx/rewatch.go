package natsx

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Rewatch keeps a watch running until ctx ends: once runs the watch (a KV watcher, an
// ordered consumer) until it stops; then stopped runs (the caller marks itself not live
// and drops what the watch kept current) and, 500 ms later, the watch starts again.
// what names the watch in the log line of each restart.
func Rewatch(ctx context.Context, log *zap.Logger, what string, once func(context.Context) error, stopped func()) {
	for {
		err := once(ctx)
		stopped()
		if ctx.Err() != nil {
			return
		}
		log.Warn(what+" stopped; restarting", zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}
