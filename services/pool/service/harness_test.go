package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"

	"github.com/mimiron/mgm/services/pool/adapters"
	"github.com/mimiron/mgm/services/pool/domain"
	"github.com/mimiron/mgm/services/pool/ports"
	"github.com/mimiron/mgm/services/pool/service"
)

const broadcaster = "b1"

type harness struct {
	t    *testing.T
	url  string // NATS
	cfg  config.Config
	nc   *nats.Conn
	js   jetstream.JetStream
	pg   *pgxpool.Pool
	repo *adapters.Postgres
	seq  int
	// last stream sequence published to each stream, for drained
	published map[string]uint64
}

// start runs one pool replica on a fresh database and NATS server.
func start(t *testing.T, tweak ...func(*config.Config)) *harness {
	t.Helper()
	_, url := testenv.NATS(t)
	cfg := config.Defaults()
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.BroadcasterID = broadcaster
	for _, f := range tweak {
		f(&cfg)
	}
	nc, js := testenv.Conn(t, url)
	h := &harness{t: t, url: url, cfg: cfg, nc: nc, js: js, published: map[string]uint64{}}
	h.replica()
	pg, err := adapters.Schema.Open(context.Background(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pg.Close)
	h.pg, h.repo = pg, adapters.New(pg)
	return h
}

// replica starts one more pool.Run with its own connection and waits until it answers.
func (h *harness) replica() {
	t := h.t
	nc, js := testenv.Conn(t, h.url)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, svc.Deps{Config: h.cfg, Log: testenv.Logger(t), NC: nc, JS: js})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("pool.Run did not stop")
		}
	})
	testenv.Eventually(t, 15*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("pool.Run stopped: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return natsx.Call(ctx, nc, events.RPCPoolStats, struct{}{}, &events.PoolStats{}) == nil
	}, "pool replica did not start")
}

type chatOpt func(*events.ChatCommand)

func badges(b ...string) chatOpt { return func(c *events.ChatCommand) { c.Badges = b } }
func msgID(id string) chatOpt    { return func(c *events.ChatCommand) { c.MessageID = id } }

// chat publishes a chat message from user (a subscriber unless told otherwise).
func (h *harness) chat(user, text string, opts ...chatOpt) events.ChatCommand {
	h.t.Helper()
	h.seq++
	c := events.ChatCommand{
		MessageID: fmt.Sprintf("msg-%d", h.seq), BroadcasterUserID: broadcaster,
		UserID: user, UserLogin: "login" + user, UserName: "User" + user, Text: text,
		Badges: []string{"subscriber"}, SentAt: time.Now().UTC(),
	}
	for _, o := range opts {
		o(&c)
	}
	// A fresh envelope id per publish, so a repeated message id reaches the pool the way
	// a redelivery or a second ingest replica would.
	env, err := events.New("", events.ChatTwGold, "test", time.Now(), c)
	require.NoError(h.t, err)
	ack, err := natsx.PublishEvent(context.Background(), h.js, env)
	require.NoError(h.t, err)
	h.published[ack.Stream] = ack.Sequence
	return c
}

// drained waits until durable has acknowledged everything this test published to its
// stream (the ack floor passed the last sequence: consumer pending counts lag publishes).
func (h *harness) drained(stream, durable string) {
	h.t.Helper()
	want := h.published[stream]
	testenv.Eventually(h.t, 15*time.Second, func() bool {
		c, err := h.js.Consumer(context.Background(), stream, durable)
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.AckFloor.Stream >= want && info.NumAckPending == 0
	}, "consumer %s did not drain", durable)
}

func (h *harness) chatDrained()   { h.drained(events.StreamChat.Name, ports.ChatConsumer) }
func (h *harness) payoutDrained() { h.drained(events.StreamPayout.Name, ports.PayoutConsumer) }

func (h *harness) call(subject string, req, resp any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return natsx.Call(ctx, h.nc, subject, req, resp)
}

func (h *harness) me(user string) events.PoolMeReply {
	h.t.Helper()
	var r events.PoolMeReply
	require.NoError(h.t, h.call(events.RPCPoolMe, events.PoolMeRequest{TwitchUserID: user}, &r))
	return r
}

func (h *harness) name(user string) string {
	h.t.Helper()
	r := h.me(user)
	if !r.IsEnrolled || r.CharacterName == nil {
		return ""
	}
	return *r.CharacterName
}

func (h *harness) stats() events.PoolStats {
	h.t.Helper()
	var s events.PoolStats
	require.NoError(h.t, h.call(events.RPCPoolStats, struct{}{}, &s))
	return s
}

func (h *harness) draw(cycle string) events.PoolDrawReply {
	h.t.Helper()
	var r events.PoolDrawReply
	require.NoError(h.t, h.call(events.RPCPoolDraw, events.PoolDrawRequest{SpinCycleID: cycle}, &r))
	return r
}

// payout publishes a payout event as the payout service's relay would.
func (h *harness) payout(subject, id, user, status string, version, lifetime int64) {
	h.t.Helper()
	ev := events.PayoutEvent{
		Payout: events.Payout{ID: id, TwitchUserID: user, TwitchDisplayName: "User" + user, CharacterName: "X",
			GoldAmount: 1000, Status: status, Version: version},
		To: status, LifetimeSentGold: lifetime,
	}
	env, err := events.New(fmt.Sprintf("%s-v%d", id, version), subject, "payout", time.Now(), ev)
	require.NoError(h.t, err)
	ack, err := natsx.PublishEvent(context.Background(), h.js, env)
	require.NoError(h.t, err)
	h.published[ack.Stream] = ack.Sequence
}

// poolEvents reads every event the pool published so far, in order.
func (h *harness) poolEvents() []events.Envelope {
	h.t.Helper()
	ctx := context.Background()
	s, err := h.js.Stream(ctx, events.StreamPool.Name)
	require.NoError(h.t, err)
	info, err := s.Info(ctx)
	require.NoError(h.t, err)
	var out []events.Envelope
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		require.NoError(h.t, err)
		var env events.Envelope
		require.NoError(h.t, json.Unmarshal(m.Data, &env))
		out = append(out, env)
	}
	return out
}

// eventsSettled waits until the outbox is empty, so poolEvents sees everything committed.
func (h *harness) eventsSettled() {
	h.t.Helper()
	testenv.Eventually(h.t, 10*time.Second, func() bool {
		var n int
		return h.pg.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n) == nil && n == 0
	}, "outbox not relayed")
}

// assertSlotsDense checks the draw invariant: the eligible members hold exactly the
// slots 0..n-1, n is the stored eligible count, and the pool size is the member count.
func (h *harness) assertSlotsDense() {
	h.t.Helper()
	var members, slotted, distinct, eligible, size int64
	var maxSlot *int64
	ctx := context.Background()
	require.NoError(h.t, h.pg.QueryRow(ctx, `SELECT count(*), count(slot), count(DISTINCT slot), max(slot) FROM members`).
		Scan(&members, &slotted, &distinct, &maxSlot))
	require.NoError(h.t, h.pg.QueryRow(ctx, `SELECT pool_size, eligible_count FROM pool_state`).Scan(&size, &eligible))
	assert.Equal(h.t, members, size, "pool size")
	assert.Equal(h.t, slotted, eligible, "eligible count")
	assert.Equal(h.t, slotted, distinct, "slots distinct")
	if slotted > 0 {
		require.NotNil(h.t, maxSlot)
		assert.Equal(h.t, slotted-1, *maxSlot, "slots dense")
	}
	var wrong int64
	require.NoError(h.t, h.pg.QueryRow(ctx, `SELECT count(*) FROM members m JOIN viewers v USING (twitch_user_id)
		WHERE (m.slot IS NOT NULL) <> (v.active_payout_id IS NULL AND v.lifetime_sent_gold + 1000 <= 10000)`).Scan(&wrong))
	assert.Zero(h.t, wrong, "members whose slot disagrees with eligibility")
}

func (h *harness) logger() *zap.Logger { return testenv.Logger(h.t) }

// viewer reads what the pool knows of a viewer apart from membership.
func (h *harness) viewer(userID string) domain.Viewer {
	h.t.Helper()
	v := domain.Viewer{TwitchUserID: userID}
	var active *string
	require.NoError(h.t, h.pg.QueryRow(context.Background(),
		`SELECT display_name, active_payout_id, lifetime_sent_gold FROM viewers WHERE twitch_user_id = $1`, userID).
		Scan(&v.DisplayName, &active, &v.LifetimeSentGold))
	if active != nil {
		v.ActivePayoutID = *active
	}
	return v
}
