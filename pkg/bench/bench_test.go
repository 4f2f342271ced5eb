package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/testenv"
)

func TestPercentile_NearestRankWithoutReordering(t *testing.T) {
	t.Parallel()
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	// 50 samples 1..50 ms, given in reverse: p99 is the 50th (ceil(0.99·50) = 50), the
	// highest — not the 49th, as mgm-bench's own copy answered.
	var fifty []int
	for i := 50; i >= 1; i-- {
		fifty = append(fifty, i)
	}
	for _, tc := range []struct {
		name string
		d    []time.Duration
		p    int
		want time.Duration
	}{
		{"none", nil, 99, 0},
		{"one", ms(7), 50, 7 * time.Millisecond},
		{"p50 of four", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of fifty", ms(fifty...), 99, 50 * time.Millisecond},
		{"p50 of fifty", ms(fifty...), 50, 25 * time.Millisecond},
		{"p100", ms(3, 9, 1), 100, 9 * time.Millisecond},
		{"p0", ms(3, 9, 1), 0, 1 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]time.Duration(nil), tc.d...)
			assert.Equal(t, tc.want, Percentile(tc.d, tc.p))
			assert.Equal(t, before, tc.d, "the caller's slice is not reordered")
		})
	}
}

func TestPublishRate_CountsAcknowledgedPublishesAndRemovesItsStream(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	ctx := context.Background()
	rate, err := PublishRate(ctx, js, "BENCH_TEST", 1, 200*time.Millisecond)
	require.NoError(t, err)
	assert.Greater(t, rate, 10.0, "publishes per second")
	_, err = js.Stream(ctx, "BENCH_TEST")
	assert.Error(t, err, "the stream is deleted after the run")
}
