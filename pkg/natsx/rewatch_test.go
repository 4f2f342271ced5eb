package natsx

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
)

func TestRewatch_RestartsAfterEachStopUntilTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs, stops atomic.Int32
	var starts []time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		Rewatch(ctx, zap.NewNop(), "test watch", func(context.Context) error {
			starts = append(starts, time.Now())
			if runs.Add(1) == 3 {
				cancel()
			}
			return errors.New("watch closed")
		}, func() { stops.Add(1) })
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Rewatch did not return once the context ended")
	}
	assert.EqualValues(t, 3, runs.Load(), "run again after each stop until ctx ends")
	assert.EqualValues(t, 3, stops.Load(), "stopped follows every run, the last one included")
	assert.GreaterOrEqual(t, starts[1].Sub(starts[0]), 500*time.Millisecond, "a restart waits 500 ms")
}
