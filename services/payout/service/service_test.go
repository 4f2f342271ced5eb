package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/payout/internal/testkit"
	"github.com/mimiron/mgm/services/payout/service"
)

var t0 = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

type env struct {
	t       *testing.T
	nc      *nats.Conn
	js      jetstream.JetStream
	clock   *testenv.Clock
	store   *testkit.DB // a second connection to the service's schema, for inspection
	dbURL   string
	natsURL string
}

// start runs the payout service on a fresh database and embedded NATS with a fake clock.
func start(t *testing.T) *env {
	t.Helper()
	_, natsURL := testenv.NATS(t)
	nc, js := testenv.Conn(t, natsURL)
	e := &env{t: t, nc: nc, js: js, clock: testenv.NewClock(t0), dbURL: testenv.Postgres(t), natsURL: natsURL}
	e.replica()
	e.store = testkit.Open(t, e.dbURL)
	return e
}

// replica starts one more copy of the service on the same database and NATS, with its
// own connection, and waits until it answers.
func (e *env) replica() {
	t := e.t
	t.Helper()
	nc, js := testenv.Conn(t, e.natsURL)
	cfg := config.Defaults()
	cfg.DatabaseURL = e.dbURL
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- service.RunWith(ctx, svc.Deps{Config: cfg, Log: testenv.Logger(t), NC: nc, JS: js, Now: e.clock.Now},
			service.Options{SweepInterval: 20 * time.Millisecond, RelayInterval: 20 * time.Millisecond,
				Ready: func() { close(ready) }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("payout service did not stop")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("payout service stopped: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("payout service not ready")
	}
	require.NoError(t, e.call(events.RPCPayoutPending, struct{}{}, nil))
}

func (e *env) call(subject string, req, resp any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return natsx.Call(ctx, e.nc, subject, req, resp)
}

func (e *env) create(cycle, user, name string) (events.Payout, error) {
	var p events.Payout
	err := e.call(events.RPCPayoutCreate, events.CreatePayoutRequest{
		SpinCycleID: cycle, TwitchUserID: user, TwitchDisplayName: "D" + user, CharacterName: name}, &p)
	return p, err
}

func (e *env) mustCreate(cycle, user, name string) events.Payout {
	e.t.Helper()
	p, err := e.create(cycle, user, name)
	require.NoError(e.t, err)
	return p
}

func (e *env) setStatus(id, status string) (events.Payout, error) {
	var p events.Payout
	err := e.call(events.RPCPayoutStatus, events.SetStatusRequest{ID: id, Status: status}, &p)
	return p, err
}

func (e *env) mustSet(id string, statuses ...string) events.Payout {
	e.t.Helper()
	var p events.Payout
	for _, s := range statuses {
		var err error
		p, err = e.setStatus(id, s)
		require.NoError(e.t, err, "→ %s", s)
	}
	return p
}

func (e *env) get(id string) events.Payout {
	e.t.Helper()
	var p events.Payout
	require.NoError(e.t, e.call(events.RPCPayoutGet, events.GetPayoutRequest{ID: id}, &p))
	return p
}

func (e *env) accept(id, name string) (events.Payout, error) {
	var p events.Payout
	err := e.call(events.RPCPayoutAccept, events.AcceptRequest{ID: id, CharacterName: name}, &p)
	return p, err
}

func (e *env) eventCount(payoutID string) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.store.SQL.QueryRow(context.Background(),
		`SELECT count(*) FROM payout_events WHERE payout_id = $1`, payoutID).Scan(&n))
	return n
}

// waitPublished waits until the relay published every committed event.
func (e *env) waitPublished() []testkit.Message {
	e.t.Helper()
	testenv.Eventually(e.t, 10*time.Second, func() bool {
		return e.store.Unpublished(e.t) == 0
	}, "relay published everything")
	return testkit.PayoutMessages(e.t, e.js)
}

// paths drive a fresh payout into each status through the RPCs (Expired: the sweep).
var paths = map[string][]string{
	domain.PayoutPending:    nil,
	domain.PayoutInProgress: {"InProgress"},
	domain.PayoutSent:       {"InProgress", "Sent"},
	domain.PayoutFailed:     {"Failed"},
	domain.PayoutCancelled:  {"InProgress", "Cancelled"},
}

var allStatuses = []string{domain.PayoutPending, domain.PayoutInProgress, domain.PayoutSent,
	domain.PayoutFailed, domain.PayoutCancelled, domain.PayoutExpired}

// allowed is docs/product.md §5 for the Desktop: from → the statuses it may set.
var allowed = map[string][]string{
	domain.PayoutPending:    {"InProgress", "Cancelled", "Failed"},
	domain.PayoutInProgress: {"Sent", "Cancelled", "Failed", "Pending"},
}

func TestRPC_TransitionTable_EveryFromEveryTo(t *testing.T) {
	t.Parallel()
	e := start(t)
	// One fresh payout per (from, to); the Expired ones first, aged past 24 h by the sweep.
	type cell struct{ from, to, id string }
	var cells []cell
	n := 0
	mk := func(from string) string {
		n++
		p := e.mustCreate(fmt.Sprint("cycle-", n), fmt.Sprint("user-", n), "Norinn")
		if from != domain.PayoutExpired {
			e.mustSet(p.ID, paths[from]...)
		}
		return p.ID
	}
	for _, to := range allStatuses {
		cells = append(cells, cell{domain.PayoutExpired, to, mk(domain.PayoutExpired)})
	}
	e.clock.Advance(24*time.Hour + time.Second)
	for _, c := range cells {
		id := c.id
		testenv.Eventually(t, 5*time.Second, func() bool { return e.get(id).Status == domain.PayoutExpired }, "expired")
	}
	for _, from := range allStatuses[:5] {
		for _, to := range allStatuses {
			cells = append(cells, cell{from, to, mk(from)})
		}
	}
	require.Len(t, cells, 36)

	for _, c := range cells {
		t.Run(c.from+"->"+c.to, func(t *testing.T) {
			before := e.get(c.id)
			events0 := e.eventCount(c.id)
			got, err := e.setStatus(c.id, c.to)
			after := e.get(c.id)
			switch {
			case c.from == c.to:
				require.NoError(t, err, "a repeat succeeds")
				assert.Equal(t, before, got, "a repeat changes nothing")
				assert.Equal(t, events0, e.eventCount(c.id), "a repeat appends no event")
			case contains(allowed[c.from], c.to):
				require.NoError(t, err)
				assert.Equal(t, c.to, got.Status)
				assert.Equal(t, before.Version+1, got.Version)
				assert.Equal(t, got, after)
				assert.Equal(t, events0+1, e.eventCount(c.id))
			default:
				require.Error(t, err)
				assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(err))
				assert.Equal(t, 409, errs.HTTPStatus(errs.CodeOf(err)))
				assert.Equal(t, before, after)
				assert.Equal(t, events0, e.eventCount(c.id))
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRPC_StatusErrors(t *testing.T) {
	t.Parallel()
	e := start(t)
	p := e.mustCreate("c1", "u1", "Norinn")
	_, err := e.setStatus(p.ID, "Shipped")
	assert.Equal(t, errs.Invalid, errs.CodeOf(err), "unknown status → 400 invalid_payload")
	_, err = e.setStatus("6f1c0d5e-0000-4000-8000-000000000000", "Sent")
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))
	_, err = e.setStatus("not-a-uuid", "Sent")
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))
	err = e.call(events.RPCPayoutStatus, "garbage", nil)
	assert.Equal(t, errs.Invalid, errs.CodeOf(err))
	got, err := e.setStatus(p.ID, "inprogress")
	require.NoError(t, err, "status names are read ignoring ASCII case")
	assert.Equal(t, domain.PayoutInProgress, got.Status)
}

func TestRPC_CreateIsIdempotentPerCycle(t *testing.T) {
	t.Parallel()
	e := start(t)
	p1 := e.mustCreate("c1", "u1", "Norinn")
	assert.Equal(t, domain.PayoutPending, p1.Status)
	assert.Equal(t, int64(1000), p1.GoldAmount)
	assert.Equal(t, "c1", p1.SpinCycleID)
	assert.Equal(t, "c1", p1.EnrollmentRequestID)
	assert.Equal(t, t0, p1.CreatedAt)
	assert.Nil(t, p1.AcceptedAt)

	e.clock.Advance(time.Minute)
	p2 := e.mustCreate("c1", "u1", "Norinn")
	assert.Equal(t, p1, p2, "the same cycle returns the same payout")
	assert.Equal(t, 1, e.eventCount(p1.ID))

	// Still the same payout after it moved on (a late retry from the roulette).
	e.mustSet(p1.ID, "InProgress", "Sent")
	p3 := e.mustCreate("c1", "u1", "Norinn")
	assert.Equal(t, p1.ID, p3.ID)
	assert.Equal(t, domain.PayoutSent, p3.Status)

	_, err := e.create("c1", "u2", "Other")
	assert.Equal(t, errs.Conflict, errs.CodeOf(err), "a cycle's payout belongs to its winner")
	_, err = e.create("c9", "u3", "No1")
	assert.Equal(t, errs.InvalidCharacterName, errs.CodeOf(err))
}

func TestRPC_OneActivePayoutPerUser(t *testing.T) {
	t.Parallel()
	e := start(t)
	p := e.mustCreate("c1", "u1", "Norinn")
	_, err := e.create("c2", "u1", "Norinn")
	assert.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err))
	e.mustSet(p.ID, "InProgress")
	_, err = e.create("c2", "u1", "Norinn")
	assert.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err), "InProgress is active too")
	e.mustSet(p.ID, "Failed")
	_, err = e.create("c2", "u1", "Norinn")
	assert.NoError(t, err, "a terminal payout frees the slot")
}

// createDrawn is create with the instant the cycle drew the winner.
func (e *env) createDrawn(cycle, user, name string, drawnAt time.Time) (events.Payout, error) {
	var p events.Payout
	err := e.call(events.RPCPayoutCreate, events.CreatePayoutRequest{
		SpinCycleID: cycle, TwitchUserID: user, TwitchDisplayName: "D" + user, CharacterName: name, DrawnAt: &drawnAt}, &p)
	return p, err
}

// Cycles N and N+1 drew the same viewer; N's late report won and its payout ended
// (Sent, or cancelled) before N+1's report: N+1 is refused, so one enrollment is paid
// once. A cycle that drew the viewer after the payout ended may pay again.
func TestRPC_WinnerWhoHeldAPayoutSinceTheDrawIsRefused(t *testing.T) {
	t.Parallel()
	e := start(t)
	drawnN1 := t0.Add(-30 * time.Second) // N+1 drew before N's payout existed
	for _, end := range []string{"Sent", "Cancelled"} {
		user := "u-" + end
		p1 := e.mustCreate("n-"+user, user, "Norinn")
		e.clock.Advance(time.Second)
		if end == "Sent" {
			e.mustSet(p1.ID, "InProgress", "Sent")
		} else {
			e.mustSet(p1.ID, "Cancelled")
		}
		e.clock.Advance(time.Second)
		_, err := e.createDrawn("n1-"+user, user, "Norinn", drawnN1)
		require.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err), "%s: a second payout for one draw: %v", end, err)
		var ee *errs.Error
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, p1.ID, ee.Details["payoutId"])

		// Drawn after the payout ended (re-enrolled, or still in the pool): a new win.
		p2, err := e.createDrawn("n2-"+user, user, "Norinn", e.clock.Now())
		require.NoError(t, err, end)
		assert.NotEqual(t, p1.ID, p2.ID)
	}
	var rows int
	require.NoError(t, e.store.SQL.QueryRow(context.Background(),
		`SELECT count(*) FROM payouts WHERE spin_cycle_id LIKE 'n1-%'`).Scan(&rows))
	assert.Zero(t, rows, "no payout for the cycles that drew the viewer before the other win")
}

// The pool has not applied a Sent payout yet and draws its winner again, after the
// Sent: the draw-time rule lets that through, the membership rule does not. After a new
// enrollment the viewer may win again.
func TestRPC_WinnerPaidSinceTheirEnrollmentIsRefused(t *testing.T) {
	t.Parallel()
	e := start(t)
	enrolled := t0.Add(-time.Hour)
	p1 := e.mustCreate("k1", "u1", "Norinn")
	e.clock.Advance(time.Second)
	e.mustSet(p1.ID, "InProgress", "Sent")
	e.clock.Advance(time.Second)
	drawn := e.clock.Now()
	create := func(cycle string, enrolledAt time.Time) (events.Payout, error) {
		var p events.Payout
		err := e.call(events.RPCPayoutCreate, events.CreatePayoutRequest{SpinCycleID: cycle, TwitchUserID: "u1",
			TwitchDisplayName: "Du1", CharacterName: "Norinn", DrawnAt: &drawn, EnrolledAt: &enrolledAt}, &p)
		return p, err
	}
	_, err := create("k2", enrolled)
	require.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err), "a second payout for one enrollment: %v", err)

	p3, err := create("k3", drawn.Add(-time.Microsecond)) // re-enrolled after the Sent
	require.NoError(t, err)
	assert.NotEqual(t, p1.ID, p3.ID)
}

func TestRPC_ConcurrentCreatesForOneUserMakeExactlyOnePayout(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.replica()
	e.replica() // three replicas share the queue group
	const n = 8
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = e.create(fmt.Sprint("cycle-", i), "u1", "Norinn")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
		} else {
			assert.Equal(t, errs.ActivePayoutExists, errs.CodeOf(err))
		}
	}
	assert.Equal(t, 1, ok)
	var rows int
	require.NoError(t, e.store.SQL.QueryRow(context.Background(),
		`SELECT count(*) FROM payouts WHERE twitch_user_id = 'u1'`).Scan(&rows))
	assert.Equal(t, 1, rows)
	msgs := e.waitPublished()
	assert.Len(t, msgs, 1)
}

func TestDB_PartialUniqueIndexRefusesASecondActivePayout(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.mustCreate("c1", "u1", "Norinn")
	_, err := e.store.SQL.Exec(context.Background(), `
		INSERT INTO payouts (id, twitch_user_id, twitch_display_name, character_name, gold_amount,
			spin_cycle_id, status, created_at, updated_at, version)
		VALUES (gen_random_uuid(), 'u1', 'D', 'Norinn', 1000, 'c2', 'InProgress', now(), now(), 1)`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "payouts_one_active_per_user")
}

func TestRPC_LifetimeCap_TenWinsAllowedEleventhRefused(t *testing.T) {
	t.Parallel()
	e := start(t)
	for i := 1; i <= 10; i++ {
		p, err := e.create(fmt.Sprint("c", i), "u1", "Norinn")
		require.NoError(t, err, "win %d (lifetime before: %d g)", i, (i-1)*1000)
		e.mustSet(p.ID, "InProgress", "Sent")
	}
	_, err := e.create("c11", "u1", "Norinn")
	require.Error(t, err)
	assert.Equal(t, errs.LifetimeCapReached, errs.CodeOf(err))
	assert.Equal(t, int64(10_000), e.store.LifetimeSentGold(t, "u1"))

	// A payout that never reached Sent does not count.
	p := e.mustCreate("d1", "u2", "Other")
	e.mustSet(p.ID, "InProgress", "Failed")
	assert.Zero(t, e.store.LifetimeSentGold(t, "u2"))

	msgs := e.waitPublished()
	var lastSent events.PayoutEvent
	for _, m := range msgs {
		if m.Event.To == domain.PayoutSent && m.Event.Payout.TwitchUserID == "u1" {
			lastSent = m.Event
		}
	}
	assert.Equal(t, int64(10_000), lastSent.LifetimeSentGold)
}

func TestRPC_LifetimeCap_NineSentThenOneMoreAllowed(t *testing.T) {
	t.Parallel()
	e := start(t)
	for i := 1; i <= 9; i++ {
		p := e.mustCreate(fmt.Sprint("c", i), "u1", "Norinn")
		e.mustSet(p.ID, "InProgress", "Sent")
	}
	p, err := e.create("c10", "u1", "Norinn")
	require.NoError(t, err, "9,000 g + 1,000 g reaches the cap without exceeding it")
	assert.Equal(t, domain.PayoutPending, p.Status)
}

func TestRPC_AcceptMatchesCaseInsensitively(t *testing.T) {
	t.Parallel()
	e := start(t)
	p := e.mustCreate("c1", "u1", "Норинн")
	_, err := e.accept(p.ID, "Норин")
	assert.Equal(t, errs.CharacterNameMismatch, errs.CodeOf(err))
	assert.Equal(t, 400, errs.HTTPStatus(errs.CodeOf(err)))

	e.clock.Advance(time.Minute)
	a, err := e.accept(p.ID, "нОРИНН")
	require.NoError(t, err)
	require.NotNil(t, a.AcceptedAt)
	assert.Equal(t, t0.Add(time.Minute), *a.AcceptedAt)
	assert.Equal(t, domain.PayoutPending, a.Status, "acceptance never changes the status")
	events1 := e.eventCount(p.ID)

	e.clock.Advance(time.Minute)
	again, err := e.accept(p.ID, "НОРИНН")
	require.NoError(t, err, "a repeat succeeds")
	assert.Equal(t, a, again, "with the original acceptedAt")
	assert.Equal(t, events1, e.eventCount(p.ID), "and no new event")

	// InProgress is active: it may be accepted, and Sent keeps acceptedAt.
	q := e.mustCreate("c2", "u2", "Straße")
	e.mustSet(q.ID, "InProgress")
	qa, err := e.accept(q.ID, "STRASSE")
	require.NoError(t, err, "full Unicode folding")
	assert.Equal(t, domain.PayoutInProgress, qa.Status)
	s := e.mustSet(q.ID, "Sent")
	assert.Equal(t, qa.AcceptedAt, s.AcceptedAt)

	_, err = e.accept("6f1c0d5e-0000-4000-8000-000000000000", "Norinn")
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))
}

func TestRPC_AcceptOnTerminalPayoutIsRefused(t *testing.T) {
	t.Parallel()
	e := start(t)
	for i, st := range []string{domain.PayoutSent, domain.PayoutFailed, domain.PayoutCancelled} {
		p := e.mustCreate(fmt.Sprint("c", i), fmt.Sprint("u", i), "Norinn")
		e.mustSet(p.ID, paths[st]...)
		_, err := e.accept(p.ID, "norinn")
		assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(err), st)
		assert.Nil(t, e.get(p.ID).AcceptedAt)
	}
}

func TestRPC_PendingListsActiveOldestFirst(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := e.nc.RequestWithContext(ctx, events.RPCPayoutPending, []byte("{}"))
	require.NoError(t, err)
	assert.JSONEq(t, `[]`, string(raw.Data), "an empty list is [], not null")

	a := e.mustCreate("c1", "u1", "Alpha")
	e.clock.Advance(time.Minute)
	b := e.mustCreate("c2", "u2", "Bravo")
	e.clock.Advance(time.Minute)
	c := e.mustCreate("c3", "u3", "Charlie")
	e.clock.Advance(time.Minute)
	d := e.mustCreate("c4", "u4", "Delta")
	e.mustSet(b.ID, "InProgress")
	_, err = e.accept(b.ID, "bravo")
	require.NoError(t, err)
	e.mustSet(c.ID, "Cancelled")
	e.mustSet(d.ID, "InProgress", "Sent")

	var list []events.Payout
	require.NoError(t, e.call(events.RPCPayoutPending, struct{}{}, &list))
	require.Len(t, list, 2)
	assert.Equal(t, a.ID, list[0].ID)
	assert.Equal(t, domain.PayoutPending, list[0].Status)
	assert.Nil(t, list[0].AcceptedAt)
	assert.Equal(t, b.ID, list[1].ID)
	assert.Equal(t, domain.PayoutInProgress, list[1].Status)
	assert.NotNil(t, list[1].AcceptedAt)
}

func TestRPC_MyLast(t *testing.T) {
	t.Parallel()
	e := start(t)
	var p events.Payout
	err := e.call(events.RPCPayoutMyLast, events.MyLastRequest{TwitchUserID: "u1"}, &p)
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))

	first := e.mustCreate("c1", "u1", "Norinn")
	e.mustSet(first.ID, "InProgress", "Sent")
	second := e.mustCreate("c2", "u1", "Norinn") // same clock: creation order breaks the tie
	e.mustCreate("c3", "u2", "Other")
	require.NoError(t, e.call(events.RPCPayoutMyLast, events.MyLastRequest{TwitchUserID: "u1"}, &p))
	assert.Equal(t, second.ID, p.ID)
}

func TestSweep_ExpiresActivePayoutsOlderThan24Hours(t *testing.T) {
	t.Parallel()
	e := start(t)
	pending := e.mustCreate("c1", "u1", "Alpha")
	inProgress := e.mustCreate("c2", "u2", "Bravo")
	e.mustSet(inProgress.ID, "InProgress")
	sent := e.mustCreate("c3", "u3", "Charlie")
	e.mustSet(sent.ID, "InProgress", "Sent")
	e.clock.Advance(2 * time.Minute)
	younger := e.mustCreate("c4", "u4", "Delta")

	// 23 h 59 min after the first three: nothing is due.
	e.clock.Set(t0.Add(23*time.Hour + 59*time.Minute))
	time.Sleep(100 * time.Millisecond) // several 20 ms sweeps
	for _, id := range []string{pending.ID, inProgress.ID, younger.ID} {
		assert.True(t, e.get(id).Status == domain.PayoutPending || e.get(id).Status == domain.PayoutInProgress)
	}

	// 24 h + 1 min: the first two expire; the one created 2 min later (23 h 59 min old)
	// stays. One sweep pass sees all of them at the same instant.
	e.clock.Set(t0.Add(24*time.Hour + time.Minute))
	testenv.Eventually(t, 5*time.Second, func() bool {
		return e.get(pending.ID).Status == domain.PayoutExpired && e.get(inProgress.ID).Status == domain.PayoutExpired
	}, "due payouts expire")
	assert.Equal(t, domain.PayoutPending, e.get(younger.ID).Status)
	assert.Equal(t, domain.PayoutSent, e.get(sent.ID).Status, "terminal payouts are untouched")
	assert.Equal(t, 3, e.eventCount(sent.ID))

	// Expired is terminal and frees the user's slot.
	_, err := e.setStatus(pending.ID, "InProgress")
	assert.Equal(t, errs.TerminalStatusChange, errs.CodeOf(err))
	_, err = e.create("c5", "u1", "Alpha")
	assert.NoError(t, err)

	e.clock.Advance(2 * time.Minute)
	testenv.Eventually(t, 5*time.Second, func() bool { return e.get(younger.ID).Status == domain.PayoutExpired }, "younger expires later")

	msgs := e.waitPublished()
	expired := map[string]string{}
	for _, m := range msgs {
		if m.Event.To == domain.PayoutExpired {
			expired[m.Event.Payout.ID] = m.Event.From
		}
	}
	assert.Equal(t, map[string]string{
		pending.ID:    domain.PayoutPending,
		inProgress.ID: domain.PayoutInProgress,
		younger.ID:    domain.PayoutPending,
	}, expired, "each expiry is one published StatusChanged event")
}

func TestRewardPosted_SetsAnnouncedFlagOnce(t *testing.T) {
	t.Parallel()
	e := start(t)
	p := e.mustCreate("c1", "u1", "Norinn")
	e.mustSet(p.ID, "InProgress", "Sent")
	ctx := context.Background()
	for range 2 { // a redelivered / republished notice
		env, err := events.New("", events.NotifyRewardPosted, "helix-notifier", t0, events.RewardNotice{
			PayoutID: p.ID, CharacterName: "Norinn", Message: "…", MessageID: "msg-1"})
		require.NoError(t, err)
		_, err = natsx.PublishEvent(ctx, e.js, env)
		require.NoError(t, err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { return e.get(p.ID).IsRewardSentAnnouncedToChat }, "flag set")
	testenv.Eventually(t, 5*time.Second, func() bool {
		ok, err := testenv.CaughtUp(ctx, e.js, events.StreamNotify.Name, "payout-reward-posted")
		return err == nil && ok
	}, "both notices handled")
	msgs := e.waitPublished()
	announced := 0
	for _, m := range msgs {
		if m.Subject == events.PayoutAnnounced {
			announced++
			assert.True(t, m.Event.Payout.IsRewardSentAnnouncedToChat)
		}
	}
	assert.Equal(t, 1, announced)
	assert.Equal(t, 4, e.eventCount(p.ID))
	assert.Equal(t, domain.PayoutSent, e.get(p.ID).Status)
}

func TestRun_EnsuresStreamsAndFailsWithoutDatabase(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, s := range []string{events.StreamPayout.Name, events.StreamNotify.Name} {
		_, err := e.js.Stream(context.Background(), s)
		assert.NoError(t, err, s)
	}
	err := service.Run(context.Background(), svc.Deps{Config: config.Defaults(), NC: e.nc, JS: e.js})
	assert.Error(t, err)
}

func TestPayoutJSONShape(t *testing.T) {
	t.Parallel()
	e := start(t)
	p := e.mustCreate("c1", "u1", "Norinn")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := json.Marshal(events.GetPayoutRequest{ID: p.ID})
	raw, err := e.nc.RequestWithContext(ctx, events.RPCPayoutGet, b)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw.Data, &m))
	for _, k := range []string{"id", "twitchUserId", "twitchDisplayName", "characterName", "goldAmount",
		"enrollmentRequestId", "status", "createdAt", "acceptedAt", "isRewardSentAnnouncedToChat"} {
		assert.Contains(t, m, k)
	}
	assert.Nil(t, m["acceptedAt"])
	assert.Equal(t, "Pending", m["status"])
}
