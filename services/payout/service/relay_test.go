package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/payout/app"
	"github.com/mimiron/mgm/services/payout/domain"
	"github.com/mimiron/mgm/services/payout/internal/testkit"
	"github.com/mimiron/mgm/services/payout/ports"
	"github.com/mimiron/mgm/services/payout/service"
)

var req = testkit.NewPayout

type eventRow struct {
	ID      string
	Version int64
	Type    string
}

func eventRows(t *testing.T, s *testkit.DB, payoutID string) []eventRow {
	t.Helper()
	rows, err := s.SQL.Query(context.Background(),
		`SELECT event_id::text, version, type FROM payout_events WHERE payout_id = $1 ORDER BY version`, payoutID)
	require.NoError(t, err)
	defer rows.Close()
	var out []eventRow
	for rows.Next() {
		var r eventRow
		require.NoError(t, rows.Scan(&r.ID, &r.Version, &r.Type))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestRelay_PublishesCommittedEventsInVersionOrderWithEventIDAsMsgID(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	_, js := testkit.JetStream(t)
	clock := testenv.NewClock(t0)
	a := app.New(store, clock.Now, nil)
	relay := service.Relay(context.Background(), store.Postgres, js, testenv.Logger(t), 0)
	ctx := context.Background()

	p, err := a.Create(ctx, req("c1", "u1", "Norinn"))
	require.NoError(t, err)
	clock.Advance(time.Minute)
	_, err = a.Accept(ctx, p.ID, "NORINN")
	require.NoError(t, err)
	_, err = a.SetStatus(ctx, p.ID, "InProgress")
	require.NoError(t, err)
	_, err = a.SetStatus(ctx, p.ID, "Sent")
	require.NoError(t, err)
	_, err = a.MarkAnnounced(ctx, p.ID, "m1")
	require.NoError(t, err)

	assert.Empty(t, testkit.PayoutMessages(t, js), "nothing is published before the relay runs")
	n, err := relay.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5, n)

	rows := eventRows(t, store, p.ID)
	msgs := testkit.PayoutMessages(t, js)
	require.Len(t, msgs, 5)
	wantSubjects := []string{events.PayoutCreated, events.PayoutAccepted, events.PayoutStatusChanged, events.PayoutStatusChanged, events.PayoutAnnounced}
	for i, m := range msgs {
		assert.Equal(t, rows[i].ID, m.MsgID, "Nats-Msg-Id is the event id")
		assert.Equal(t, rows[i].ID, m.Env.ID)
		assert.Equal(t, wantSubjects[i], m.Subject)
		assert.Equal(t, wantSubjects[i], m.Env.Type)
		assert.Equal(t, int64(i+1), m.Event.Payout.Version, "version order")
		assert.Equal(t, p.ID, m.Event.Payout.ID)
	}
	assert.Equal(t, "Pending", msgs[0].Event.Payout.Status)
	assert.Nil(t, msgs[0].Event.Payout.AcceptedAt)
	assert.NotNil(t, msgs[1].Event.Payout.AcceptedAt)
	assert.Equal(t, "Pending", msgs[2].Event.From)
	assert.Equal(t, "InProgress", msgs[2].Event.To)
	assert.Equal(t, int64(0), msgs[2].Event.LifetimeSentGold)
	assert.Equal(t, "InProgress", msgs[3].Event.From)
	assert.Equal(t, "Sent", msgs[3].Event.To)
	assert.Equal(t, "Sent", msgs[3].Event.Payout.Status)
	assert.Equal(t, int64(1_000), msgs[3].Event.LifetimeSentGold, "lifetime after the event")
	assert.False(t, msgs[3].Event.Payout.IsRewardSentAnnouncedToChat)
	assert.True(t, msgs[4].Event.Payout.IsRewardSentAnnouncedToChat)
	assert.Equal(t, int64(1_000), msgs[4].Event.LifetimeSentGold)

	n, err = relay.Drain(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "published events are marked")
}

func TestRelay_NothingUncommittedOrRolledBackIsPublished(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	_, js := testkit.JetStream(t)
	a := app.New(store, testenv.NewClock(t0).Now, nil)
	relay := service.Relay(context.Background(), store.Postgres, js, testenv.Logger(t), 0)
	ctx := context.Background()

	// An event row written by a transaction that has not committed yet.
	tx, err := store.SQL.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO payout_events (event_id, payout_id, version, type, data, occurred_at, lifetime_sent_gold)
		VALUES ($1, $2, 1, 'PayoutCreated', '{}', now(), 0)`, uuid.NewString(), uuid.NewString())
	require.NoError(t, err)
	n, err := relay.Drain(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	require.NoError(t, tx.Rollback(ctx))

	// A create refused by the rules after its own checks ran appends nothing.
	_, err = a.Create(ctx, req("c1", "u1", "Norinn"))
	require.NoError(t, err)
	_, err = a.Create(ctx, req("c2", "u1", "Norinn"))
	require.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err))

	n, err = relay.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	msgs := testkit.PayoutMessages(t, js)
	require.Len(t, msgs, 1)
	assert.Equal(t, "c1", msgs[0].Event.Payout.SpinCycleID)
}

func TestRelay_RestartPublishesLeftoverEventsOnce(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	url := store.URL
	_, js := testkit.JetStream(t)
	a := app.New(store, testenv.NewClock(t0).Now, nil)
	ctx := context.Background()

	var ids []string
	for i := range 3 {
		p, err := a.Create(ctx, req(fmt.Sprint("c", i), fmt.Sprint("u", i), "Norinn"))
		require.NoError(t, err)
		_, err = a.SetStatus(ctx, p.ID, "InProgress")
		require.NoError(t, err)
		ids = append(ids, p.ID)
	}
	// A relay that crashed after publishing the first event but before marking it:
	// the event is on the stream and still unpublished in the store.
	first := eventRows(t, store, ids[0])[0]
	crashed := 0
	_, err := store.RelayBatch(ctx, 1, func(ctx context.Context, recs []domain.Recorded) (int, error) {
		env, err := ports.Envelope(recs[0])
		require.NoError(t, err)
		_, err = natsx.PublishEvent(ctx, js, env)
		require.NoError(t, err)
		crashed++
		return 0, fmt.Errorf("crash before commit")
	})
	require.Error(t, err)
	require.Equal(t, 1, crashed)
	require.Equal(t, 6, store.Unpublished(t), "the crashed relay marked nothing")

	// A new process (its own pool) starts its relay.
	store2 := testkit.Open(t, url)
	relay := service.Relay(context.Background(), store2.Postgres, js, testenv.Logger(t), 0)
	n, err := relay.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 6, n)
	msgs := testkit.PayoutMessages(t, js)
	require.Len(t, msgs, 6, "the republished first event was deduplicated by Nats-Msg-Id")
	assert.Equal(t, first.ID, msgs[0].MsgID)

	// Restarting again publishes nothing more.
	relay2 := service.Relay(context.Background(), store2.Postgres, js, testenv.Logger(t), 0)
	n, err = relay2.Drain(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Len(t, testkit.PayoutMessages(t, js), 6)
}

func TestRelay_TwoReplicasPublishEachEventOnceInVersionOrder(t *testing.T) {
	t.Parallel()
	store := testkit.Store(t)
	url := store.URL
	_, js := testkit.JetStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	store2 := testkit.Open(t, url)
	r1 := service.Relay(context.Background(), store.Postgres, js, testenv.Logger(t), 5*time.Millisecond)
	r2 := service.Relay(context.Background(), store2.Postgres, js, testenv.Logger(t), 5*time.Millisecond)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r1.Run(ctx) }()
	go func() { defer wg.Done(); r2.Run(ctx) }()

	// Writers on both "replicas", each kicking its own relay.
	a1 := app.New(store, testenv.NewClock(t0).Now, r1.Kick)
	a2 := app.New(store2, testenv.NewClock(t0).Now, r2.Kick)
	const payouts = 12
	var wwg sync.WaitGroup
	for i := range payouts {
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			a := a1
			if i%2 == 1 {
				a = a2
			}
			p, err := a.Create(ctx, req(fmt.Sprint("c", i), fmt.Sprint("u", i), "Norinn"))
			if !assert.NoError(t, err) {
				return
			}
			for _, st := range []string{"InProgress", "Pending", "InProgress", "Sent"} {
				_, err := a.SetStatus(ctx, p.ID, st)
				assert.NoError(t, err)
			}
		}()
	}
	wwg.Wait()
	const total = payouts * 5
	testenv.Eventually(t, 10*time.Second, func() bool {
		return store.Unpublished(t) == 0
	}, "all events published")
	cancel()
	wg.Wait()

	assert.Equal(t, int64(total), r1.Published()+r2.Published(), "no event was published twice, even invisibly")
	msgs := testkit.PayoutMessages(t, js)
	require.Len(t, msgs, total)
	last := map[string]int64{}
	seen := map[string]bool{}
	for _, m := range msgs {
		id := m.Event.Payout.ID
		assert.Equal(t, last[id]+1, m.Event.Payout.Version, "payout %s published in version order", id)
		last[id] = m.Event.Payout.Version
		assert.False(t, seen[m.MsgID])
		seen[m.MsgID] = true
	}
	assert.Len(t, last, payouts)
}
