package svc

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/natsx"
)

// Task is a background loop of a service (relay, sweep, consumer). It returns when ctx
// ends; an error it returns before that ends the service.
type Task func(ctx context.Context) error

// Loop is the Task of a loop that cannot fail.
func Loop(run func(context.Context)) Task {
	return func(ctx context.Context) error { run(ctx); return nil }
}

// Serve is the end of a Run that answers requests and runs background tasks. It
// flushes nc, so the server has the responders' subscriptions before the service calls
// itself ready, calls ready (when set), then runs every task until ctx ends or one
// fails. On the way out it stops the responders first — the requests already received
// finish while the tasks (a relay publishing their events) still run — then ends the
// tasks and waits for them, so the caller may close its store. It returns the first
// task failure; an error a task returns after ctx ended is not one.
func Serve(ctx context.Context, nc *nats.Conn, log *zap.Logger, responders *natsx.Responders, ready func(), tasks ...Task) error {
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		log.Warn("flush after subscribing", zap.Error(err))
	}
	if ready != nil {
		ready()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	for _, task := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := task(ctx); err != nil && ctx.Err() == nil {
				select {
				case errc <- err:
				default: // another task failed first
				}
			}
		}()
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	responders.Stop(5 * time.Second)
	cancel()
	wg.Wait()
	return runErr
}
