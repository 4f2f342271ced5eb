// Package testkit holds what the payout service's tests share: the repository on a
// fresh database with a connection to inspect its tables, and readers of the payout
// stream.
package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/payout/adapters"
	"github.com/mimiron/mgm/services/payout/domain"
)

// T0 is the tests' starting instant.
var T0 = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

// NewPayout is a creation request for user's win of cycle.
func NewPayout(cycle, user, name string) domain.NewPayout {
	return domain.NewPayout{SpinCycleID: cycle, TwitchUserID: user, TwitchDisplayName: "D" + user, CharacterName: name}
}

// DB is the payout repository on a test database, with the pool it runs on (tests
// read tables through SQL) and the database URL (for more connections).
type DB struct {
	*adapters.Postgres
	SQL *pgxpool.Pool
	URL string
}

// Store opens the payout schema on a fresh database.
func Store(t testing.TB) *DB {
	t.Helper()
	return Open(t, testenv.Postgres(t))
}

// Open opens the payout schema on url (another connection to a test's database).
func Open(t testing.TB, url string) *DB {
	t.Helper()
	pool, err := adapters.Schema.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return &DB{Postgres: adapters.New(pool), SQL: pool, URL: url}
}

// Unpublished counts events the relay has not published yet.
func (db *DB) Unpublished(t testing.TB) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL.QueryRow(context.Background(), `SELECT count(*) FROM payout_events WHERE published_at IS NULL`).Scan(&n))
	return n
}

// LifetimeSentGold is the user's total of Sent gold as the repository keeps it.
func (db *DB) LifetimeSentGold(t testing.TB, twitchUserID string) int64 {
	t.Helper()
	var n int64
	err := db.SQL.QueryRow(context.Background(), `SELECT coalesce((SELECT lifetime_sent_gold FROM payout_users WHERE twitch_user_id = $1), 0)`, twitchUserID).Scan(&n)
	require.NoError(t, err)
	return n
}

// JetStream starts an embedded server with the payout and notify streams.
func JetStream(t testing.TB) (string, jetstream.JetStream) {
	t.Helper()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	require.NoError(t, natsx.EnsureStreams(context.Background(), js, events.StreamPayout, events.StreamNotify))
	return url, js
}

// Message is one message of the payout stream, decoded.
type Message struct {
	Subject string
	MsgID   string // Nats-Msg-Id header
	Env     events.Envelope
	Event   events.PayoutEvent
}

// PayoutMessages reads every message of MGM_PAYOUT in stream order.
func PayoutMessages(t testing.TB, js jetstream.JetStream) []Message {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, events.StreamPayout.Name)
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	var out []Message
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		require.NoError(t, err)
		var m Message
		m.Subject = raw.Subject
		m.MsgID = raw.Header.Get(jetstream.MsgIDHeader)
		m.Env, err = events.Decode(raw.Data, &m.Event)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}
