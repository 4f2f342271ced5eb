package svc_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
)

func TestServe_AFailingTaskEndsEveryTaskAndIsReturned(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, _ := testenv.Conn(t, url)
	responders, err := natsx.ServeAll(nc, "t", testenv.Logger(t), map[string]natsx.Handler{
		"t.ping": func(context.Context, []byte) (any, error) { return "pong", nil },
	})
	require.NoError(t, err)

	boom := errors.New("consumer gone")
	var ready, loopEnded atomic.Bool
	err = svc.Serve(context.Background(), nc, testenv.Logger(t), responders, func() { ready.Store(true) },
		svc.Loop(func(ctx context.Context) { <-ctx.Done(); loopEnded.Store(true) }),
		func(context.Context) error { return boom },
	)
	assert.ErrorIs(t, err, boom)
	assert.True(t, ready.Load())
	assert.True(t, loopEnded.Load(), "Serve waits for every task")
	err = natsx.Call(context.Background(), nc, "t.ping", struct{}{}, nil)
	assert.Error(t, err, "the responders are stopped")
}

func TestServe_EndsWithoutErrorWhenCtxEnds(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, _ := testenv.Conn(t, url)
	responders, err := natsx.ServeAll(nc, "t", testenv.Logger(t), nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	err = svc.Serve(ctx, nc, testenv.Logger(t), responders, nil,
		func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
	)
	assert.NoError(t, err, "an error after ctx ended is not a failure")
}
