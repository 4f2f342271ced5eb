package adapters_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/services/pool/app"
)

// BenchmarkEnrollBatch applies batches of 128 new chat enrollments, the size the chat
// consumer hands the pool under a burst: three round trips and one commit a batch.
func BenchmarkEnrollBatch(b *testing.B) {
	ctx := context.Background()
	_, repo := openRepo(b)
	const size = 128
	n := 0
	b.ResetTimer()
	for b.Loop() {
		reqs := make([]app.EnrollRequest, size)
		for i := range reqs {
			n++
			reqs[i] = chatReq(fmt.Sprint(n), fmt.Sprint("u", n), seedLike(n))
		}
		outs, err := repo.EnrollBatch(ctx, reqs)
		require.NoError(b, err)
		require.Len(b, outs, size)
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "enrollments/s")
}

// seedLike is a valid, unique character name for i.
func seedLike(i int) string {
	s := []byte("Benchaaaaaa")
	for p := len(s) - 1; p >= 5 && i > 0; p-- {
		s[p] = byte('a' + i%26)
		i /= 26
	}
	return string(s)
}
