// Package testenv gives service tests the real parts they run against: an embedded
// JetStream server in a temporary directory and a fresh PostgreSQL database on the
// server named by MGM_TEST_DATABASE_URL (scripts/ensure-postgres.sh provides one); a
// clock; and the routes proto/openapi.yaml documents, which the gateway's router and
// the HTTP sweep are both checked against.
package testenv

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/mimiron/mgm/pkg/natsx"
)

// DefaultDatabaseURL is used when MGM_TEST_DATABASE_URL is unset: the local server the
// set-up script starts or finds.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// NATS starts an embedded JetStream server for the test and returns it with its URL.
func NATS(t testing.TB) (*server.Server, string) {
	t.Helper()
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("embedded nats: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s, s.ClientURL()
}

// Conn connects to url and closes the connection at cleanup.
func Conn(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// Postgres creates an empty database for the test and returns its URL; the database
// is dropped at cleanup. A test that needs PostgreSQL fails — never skips — when none
// is reachable: `make test` starts one.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("MGM_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultDatabaseURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL at %s not reachable (run scripts/ensure-postgres.sh): %v", redact(admin), err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("mgm_test_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(admin), err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return strings.SplitN(s, "@", 2)[0]
}

// Logger is a zap logger writing to the test log.
func Logger(t testing.TB) *zap.Logger {
	return zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
}

// Eventually polls cond every 10 ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("condition not met after %s: "+format, append([]any{timeout}, args...)...)
}
