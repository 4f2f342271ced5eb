package natsx_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

func TestServe_AnswersEverySubjectAndStopWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, _ := testenv.Conn(t, url)
	release := make(chan struct{})
	var finished atomic.Bool
	r, err := natsx.Serve(nc, "t", 0, testenv.Logger(t), map[string]natsx.Handler{
		"t.a": func(context.Context, []byte) (any, error) { return echoReq{"a"}, nil },
		"t.slow": func(context.Context, []byte) (any, error) {
			<-release
			finished.Store(true)
			return echoReq{"slow"}, nil
		},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	var out echoReq
	require.NoError(t, natsx.Call(ctx, nc, "t.a", struct{}{}, &out))
	assert.Equal(t, "a", out.Name)

	slow := make(chan error, 1)
	go func() { slow <- natsx.Call(ctx, nc, "t.slow", struct{}{}, &echoReq{}) }()
	testenv.Eventually(t, 2*time.Second, func() bool { return r.InFlight() == 1 }, "slow request never arrived")

	stopped := make(chan struct{})
	go func() { r.Stop(5 * time.Second); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a request was still being handled")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-stopped
	assert.True(t, finished.Load())
	assert.NoError(t, <-slow, "the request in flight is answered")

	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	assert.Equal(t, errs.Unavailable, errs.CodeOf(natsx.Call(short, nc, "t.a", struct{}{}, nil)), "no longer served")
}
