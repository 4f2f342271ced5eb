package adapters_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/testenv"

	"github.com/mimiron/mgm/services/pool/adapters"
	"github.com/mimiron/mgm/services/pool/app"
)

// BenchmarkDraw compares the draw at 10 and at 1,000,000 eligible members: with dense
// slots both are one random number and one index lookup.
func BenchmarkDraw(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run(map[int]string{10: "eligible=10", 1_000_000: "eligible=1000000"}[n], func(b *testing.B) {
			ctx := context.Background()
			pg, err := adapters.Schema.Open(ctx, testenv.Postgres(b))
			require.NoError(b, err)
			defer pg.Close()
			require.NoError(b, adapters.SeedEligible(ctx, pg, n))
			_, err = pg.Exec(ctx, `ANALYZE members`)
			require.NoError(b, err)
			repo := adapters.New(pg)
			b.ResetTimer()
			for b.Loop() {
				d, err := repo.Draw(ctx, "", app.CryptoRandom)
				if err != nil || d.Member == nil {
					b.Fatalf("draw: %v %v", d, err)
				}
			}
		})
	}
}
