package db_test

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/testenv"
)

var migrations = fstest.MapFS{
	"001_members.sql": {Data: []byte(`CREATE TABLE members (id int PRIMARY KEY, name text NOT NULL UNIQUE);`)},
	"002_seed.sql":    {Data: []byte(`INSERT INTO members VALUES (1, 'norinn');`)},
}

func TestOpen_MigratesOnceEvenWithReplicasStartingTogether(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errsCh := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := db.Open(ctx, url, "svc", migrations)
			if err == nil {
				p.Close()
			}
			errsCh <- err
		}()
	}
	wg.Wait()
	close(errsCh)
	for err := range errsCh {
		require.NoError(t, err)
	}
	p, err := db.Open(ctx, url, "svc", migrations)
	require.NoError(t, err)
	defer p.Close()
	var n int
	require.NoError(t, p.QueryRow(ctx, `SELECT count(*) FROM members`).Scan(&n))
	assert.Equal(t, 1, n, "search_path is the service's schema and each migration ran once")
	require.NoError(t, p.QueryRow(ctx, `SELECT count(*) FROM svc.schema_migrations`).Scan(&n))
	assert.Equal(t, 2, n)
}

func TestInTx_RollsBackOnErrorAndReportsUniqueViolations(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	ctx := context.Background()
	p, err := db.Open(ctx, url, "svc", migrations)
	require.NoError(t, err)
	defer p.Close()
	err = db.InTx(ctx, p, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO members VALUES (2, 'jaina')`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO members VALUES (3, 'norinn')`)
		return err
	})
	require.Error(t, err)
	assert.True(t, db.IsUniqueViolation(err, "members_name_key"))
	assert.False(t, db.IsUniqueViolation(err, "other"))
	var n int
	require.NoError(t, p.QueryRow(ctx, `SELECT count(*) FROM members`).Scan(&n))
	assert.Equal(t, 1, n, "the failed transaction left nothing behind")
}
