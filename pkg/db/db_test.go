package db_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"testing/fstest"
	"time"

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

// Unreachable tells PostgreSQL out of reach (answered 503, tried again) from a fault of
// the query (500): a port nobody listens on, a database that takes no connections, a
// connection cut by the server, against a missing table.
func TestUnreachable_TellsPostgreSQLOutOfReachFromABadQuery(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	assert.False(t, db.Unreachable(nil))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = pgx.Connect(ctx, "postgres://postgres@"+closed+"/x?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	assert.True(t, db.Unreachable(err), "connection refused: %v", err)

	url := testenv.Postgres(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "SELECT FROM no_such_table")
	require.Error(t, err)
	assert.False(t, db.Unreachable(err), "a missing table is the query's fault: %v", err)
	_, err = conn.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
	require.Error(t, err)
	assert.True(t, db.Unreachable(err), "terminated by the server (57P01): %v", err)
}
