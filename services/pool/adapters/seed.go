package adapters

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/db"
)

// SeedEligible is benchmark tooling (make bench and BenchmarkDraw seed with it), kept
// beside the schema it writes. It bulk-loads n eligible members (viewers "seed-<i>",
// characters "Seed<letters>") with COPY: a million members load in seconds. pool must
// be open on Schema. It takes the writers' lock, so it is safe next to a running
// service, and bumps the stats version so the KV key follows. Calling it again adds n
// more.
func SeedEligible(ctx context.Context, pool *pgxpool.Pool, n int) error {
	return db.InTx(ctx, pool, func(tx pgx.Tx) error {
		roster, err := lock(ctx, tx)
		if err != nil {
			return err
		}
		st := roster.Stats()
		var start int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM viewers WHERE twitch_user_id LIKE 'seed-%'`).Scan(&start); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"viewers"}, []string{"twitch_user_id", "display_name"},
			pgx.CopyFromFunc(seedRows(n, func(i int64) []any {
				id := fmt.Sprintf("seed-%d", start+i)
				return []any{id, id}
			}))); err != nil {
			return fmt.Errorf("copy seed viewers: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"members"},
			[]string{"twitch_user_id", "display_name", "character_name", "folded_name", "slot"},
			pgx.CopyFromFunc(seedRows(n, func(i int64) []any {
				id := fmt.Sprintf("seed-%d", start+i)
				name := seedName(start + i)
				return []any{id, id, name, foldASCII(name), st.EligibleCount + i}
			}))); err != nil {
			return fmt.Errorf("copy seed members: %w", err)
		}
		// The seed bypasses the roster's rules on purpose (every seeded viewer is eligible
		// by construction), so it moves the counters itself.
		_, err = tx.Exec(ctx, `UPDATE pool_state SET version = version + 1, pool_size = pool_size + $1,
			eligible_count = eligible_count + $1, updated_at = now() WHERE id = 1`, n)
		return err
	})
}

func seedRows(n int, row func(i int64) []any) func() ([]any, error) {
	var i int64
	return func() ([]any, error) {
		if i >= int64(n) {
			return nil, nil
		}
		r := row(i)
		i++
		return r, nil
	}
}

// seedName is "Seed" and i in base 26 over a–z, seven letters: unique up to 8·10⁹ and a
// valid character name (11 letters).
func seedName(i int64) string {
	b := []byte("Seedaaaaaaa")
	for p := len(b) - 1; p >= 4 && i > 0; p-- {
		b[p] = byte('a' + i%26)
		i /= 26
	}
	return string(b)
}

func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
