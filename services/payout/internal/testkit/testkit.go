// Package testkit holds what the payout service's tests share: a controllable clock,
// the store on a fresh database and readers of the payout stream.
package testkit

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/payout/adapters"
)

// Store opens the payout store on a fresh database and returns it with the URL.
func Store(t testing.TB) (*adapters.Postgres, string) {
	t.Helper()
	url := testenv.Postgres(t)
	s, err := adapters.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s, url
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
