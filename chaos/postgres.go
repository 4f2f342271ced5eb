package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgres is a private PostgreSQL cluster of this run: the schedule restarts it in
// immediate mode (a crash: no checkpoint, WAL replay at start), which the shared
// development server must never see. scripts/ensure-postgres.sh installs PostgreSQL
// from Debian's packages when missing, initialises the cluster and starts it.
type postgres struct {
	pgdata string
	bin    string   // the directory holding pg_ctl
	runAs  []string // runuser -u postgres -- when the harness runs as root
	admin  string   // URL of the postgres database
	URL    string   // URL of the mgm database the services use
}

func startPostgres(ctx context.Context, root, dir string) (*postgres, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "ensure-postgres.sh"))
	env := []string{"MGM_PG_PRIVATE=1", "MGM_DATA_DIR=" + dir, "MGM_PG_PORT=" + strconv.Itoa(port)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	logf, err := os.Create(filepath.Join(dir, "logs", "ensure-postgres.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stderr = logf
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("scripts/ensure-postgres.sh: %v (see %s)", err, logf.Name())
	}
	pg := &postgres{pgdata: filepath.Join(dir, "pg"), admin: strings.TrimSpace(string(out))}
	if pg.bin, err = pgBin(); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		pg.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	// Fifteen service processes with up to eight connections each, plus the harness.
	if err := pg.exec(ctx, "ALTER SYSTEM SET max_connections = 400"); err != nil {
		return nil, err
	}
	if err := pg.ctl(ctx, "restart", "-m", "fast"); err != nil {
		return nil, err
	}
	if err := pg.exec(ctx, "CREATE DATABASE mgm"); err != nil {
		return nil, err
	}
	u, err := url.Parse(pg.admin)
	if err != nil {
		return nil, err
	}
	u.Path = "/mgm"
	pg.URL = u.String()
	return pg, nil
}

func pgBin() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return "", fmt.Errorf("pg_ctl not found under /usr/lib/postgresql")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func (pg *postgres) exec(ctx context.Context, sql string) error {
	var err error
	for i := 0; i < 50; i++ {
		var conn *pgx.Conn
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err = pgx.Connect(cctx, pg.admin)
		if err == nil {
			_, err = conn.Exec(cctx, sql)
			conn.Close(cctx)
			cancel()
			return err
		}
		cancel()
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// ctl runs pg_ctl on the cluster with the options it was started with (postmaster.opts).
func (pg *postgres) ctl(ctx context.Context, args ...string) error {
	full := append(append([]string{}, pg.runAs...), filepath.Join(pg.bin, "pg_ctl"), "-D", pg.pgdata, "-w", "-t", "60")
	full = append(full, args...)
	if args[0] != "stop" {
		full = append(full, "-l", filepath.Join(pg.pgdata, "server.log"))
	}
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// restartImmediate is the fault: the server stops without a checkpoint (as if the
// machine lost power) and starts again, replaying its WAL.
func (pg *postgres) restartImmediate(ctx context.Context) error {
	return pg.ctl(ctx, "restart", "-m", "immediate")
}

func (pg *postgres) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = pg.ctl(ctx, "stop", "-m", "immediate")
}
