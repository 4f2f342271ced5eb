package outbox

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
)

func TestDrain_TakesBatchesUntilNoneLeft(t *testing.T) {
	t.Parallel()
	left := 250
	var limits []int
	r := NewRelay("test relay", func(_ context.Context, limit int) (int, error) {
		limits = append(limits, limit)
		n := min(left, limit)
		left -= n
		return n, nil
	}, zap.NewNop(), 0)

	n, err := r.Drain(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 250, n)
	assert.Equal(t, []int{BatchSize, BatchSize, BatchSize, BatchSize}, limits, "a full batch, a full one, 50, then an empty one")
}

func TestDrain_StopsAtAFailedBatchAndCountsWhatItPublished(t *testing.T) {
	t.Parallel()
	boom := errors.New("jetstream down")
	calls := 0
	r := NewRelay("test relay", func(context.Context, int) (int, error) {
		calls++
		if calls == 2 {
			return 3, boom
		}
		return BatchSize, nil
	}, zap.NewNop(), 0)

	n, err := r.Drain(context.Background())
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, BatchSize+3, n)
	assert.Equal(t, 2, calls)
}

func TestRun_KickStartsAPassBeforeThePoll(t *testing.T) {
	t.Parallel()
	var passes atomic.Int64
	r := NewRelay("test relay", func(context.Context, int) (int, error) {
		passes.Add(1)
		return 0, nil
	}, zap.NewNop(), time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()

	require.Eventually(t, func() bool { return passes.Load() == 1 }, 5*time.Second, time.Millisecond, "a pass at start")
	r.Kick()
	assert.Eventually(t, func() bool { return passes.Load() == 2 }, 5*time.Second, time.Millisecond, "a pass after Kick")
	cancel()
	<-done
}

func TestKick_NeverBlocks(t *testing.T) {
	t.Parallel()
	r := NewRelay("test relay", func(context.Context, int) (int, error) { return 0, nil }, nil, 0)
	for range 3 {
		r.Kick()
	}
	assert.Len(t, r.wake, 1)
}

func TestMapped_PublishesEnvelopesAndReportsTheStoredPrefix(t *testing.T) {
	t.Parallel()
	marked := 0
	rows := Rows[string](func(ctx context.Context, limit int, publish func(context.Context, []string) (int, error)) (int, error) {
		n, err := publish(ctx, []string{"a", "b", "c"}[:min(3, limit)])
		marked = n
		return n, err
	})
	boom := errors.New("stream full")
	var got []events.Envelope
	pub := Publisher(func(_ context.Context, envs []events.Envelope) (int, error) {
		got = envs
		return 2, boom
	})
	n, err := Mapped(rows, func(s string) (events.Envelope, error) { return events.Envelope{ID: "id-" + s, Type: "t." + s}, nil }, pub)(context.Background(), 10)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, 2, n)
	assert.Equal(t, 2, marked, "only what was stored is marked")
	require.Len(t, got, 3)
	assert.Equal(t, "id-b", got[1].ID)
}
