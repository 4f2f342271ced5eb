package service_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/roulette/adapters"
	"github.com/mimiron/mgm/services/roulette/app"
	"github.com/mimiron/mgm/services/roulette/ports"
	"github.com/mimiron/mgm/services/roulette/service"
)

const interval = 300 * time.Second

// b0 is a spin boundary: 2026-04-04 12:05:00 UTC.
var b0 = time.Date(2026, 4, 4, 12, 5, 0, 0, time.UTC)

// fakePool stands in for the pool service on RPCPoolDraw: it answers the member its
// pick function returns and counts the requests.
type fakePool struct {
	mu    sync.Mutex
	pick  func(spinCycleID string) *events.DrawnMember
	delay time.Duration
	calls atomic.Int64
	asked map[string]int // requests per spin cycle
	sub   *natsx.Responders
}

// askedTwice lists the cycles the pool was asked to draw more than once.
func (p *fakePool) askedTwice() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for id, n := range p.asked {
		if n > 1 {
			out = append(out, id)
		}
	}
	return out
}

func (p *fakePool) set(pick func(string) *events.DrawnMember) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pick = pick
}

func always(name string) func(string) *events.DrawnMember {
	return func(string) *events.DrawnMember {
		return &events.DrawnMember{TwitchUserID: "uid-" + name, TwitchDisplayName: "tv_" + name, CharacterName: name}
	}
}

func (p *fakePool) start(t *testing.T, nc *nats.Conn) {
	t.Helper()
	sub, err := natsx.Serve(nc, "pool", 0, testenv.Logger(t), map[string]natsx.Handler{events.RPCPoolDraw: func(_ context.Context, data []byte) (any, error) {
		var req events.PoolDrawRequest
		if err := natsx.Decode(data, &req); err != nil {
			return nil, err
		}
		p.calls.Add(1)
		time.Sleep(p.delay)
		p.mu.Lock()
		pick := p.pick
		if p.asked == nil {
			p.asked = map[string]int{}
		}
		p.asked[req.SpinCycleID]++
		p.mu.Unlock()
		m := pick(req.SpinCycleID)
		n := 0
		if m != nil {
			n = 3
		}
		return events.PoolDrawReply{Member: m, EligibleCount: n}, nil
	}})
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	p.sub = sub
}

func (p *fakePool) stop(t *testing.T) {
	t.Helper()
	p.sub.Stop(time.Second)
}

// fakePayout stands in for the payout service: create is idempotent per spin cycle;
// refuse, when set, is the error every create answers.
type fakePayout struct {
	mu      sync.Mutex
	byCycle map[string]events.Payout
	byID    map[string]events.Payout
	refuse  error
	last    events.CreatePayoutRequest // the latest create request
	creates atomic.Int64
	gets    atomic.Int64
}

func (p *fakePayout) start(t *testing.T, nc *nats.Conn) {
	t.Helper()
	p.byCycle, p.byID = map[string]events.Payout{}, map[string]events.Payout{}
	log := testenv.Logger(t)
	_, err := natsx.Serve(nc, "payout", 0, log, map[string]natsx.Handler{events.RPCPayoutCreate: func(_ context.Context, data []byte) (any, error) {
		var req events.CreatePayoutRequest
		if err := natsx.Decode(data, &req); err != nil {
			return nil, err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.last = req
		if p.refuse != nil {
			return nil, p.refuse
		}
		p.creates.Add(1)
		if po, ok := p.byCycle[req.SpinCycleID]; ok {
			return po, nil
		}
		po := events.Payout{
			ID: "payout-" + req.SpinCycleID[:8], TwitchUserID: req.TwitchUserID, TwitchDisplayName: req.TwitchDisplayName,
			CharacterName: req.CharacterName, GoldAmount: 1000, EnrollmentRequestID: req.SpinCycleID,
			SpinCycleID: req.SpinCycleID, Status: domain.PayoutPending, Version: 1,
		}
		p.byCycle[req.SpinCycleID], p.byID[po.ID] = po, po
		return po, nil
	}, events.RPCPayoutGet: func(_ context.Context, data []byte) (any, error) {
		var req events.GetPayoutRequest
		if err := natsx.Decode(data, &req); err != nil {
			return nil, err
		}
		p.gets.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		po, ok := p.byID[req.ID]
		if !ok {
			return nil, errs.E(errs.NotFound, "no payout %s", req.ID)
		}
		return po, nil
	}})
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
}

func (p *fakePayout) setRefuse(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = err
}

// env is one test's world: NATS, a database, the clock and the fake neighbours.
type env struct {
	t      *testing.T
	url    string
	dbURL  string
	clock  *testenv.Clock
	pool   *fakePool
	payout *fakePayout
	nc     *nats.Conn
	js     jetstream.JetStream
}

func newEnv(t *testing.T) *env {
	t.Helper()
	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	e := &env{t: t, url: url, dbURL: testenv.Postgres(t), clock: testenv.NewClock(b0.Add(-time.Minute)),
		pool: &fakePool{pick: always("Норинн")}, payout: &fakePayout{}, nc: nc, js: js}
	e.pool.start(t, nc)
	e.payout.start(t, nc)
	return e
}

func (e *env) deps(spin time.Duration, now func() time.Time) svc.Deps {
	e.t.Helper()
	nc, js := testenv.Conn(e.t, e.url)
	cfg := config.Defaults()
	cfg.DatabaseURL = e.dbURL
	cfg.SpinInterval = spin
	cfg.NATSURL = e.url
	return svc.Deps{Config: cfg, Log: testenv.Logger(e.t), NC: nc, JS: js, Now: now}
}

// replica builds one roulette instance on the shared database, its own NATS
// connection, and the fake clock.
func (e *env) replica() *app.Service {
	e.t.Helper()
	a, closeFn, err := buildApp(e.deps(interval, e.clock.Now))
	require.NoError(e.t, err)
	e.t.Cleanup(closeFn)
	// Due instants in these tests are exact; the production loop also wakes every
	// MaxIdle to catch up after a suspend.
	a.MaxIdle = time.Hour
	return a
}

func buildApp(d svc.Deps) (*app.Service, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return service.Build(ctx, d)
}

// tick runs a.Tick at t (also setting the clock to t).
func (e *env) tick(a *app.Service, t time.Time) time.Time {
	e.t.Helper()
	e.clock.Set(t)
	next, err := a.Tick(context.Background(), t)
	require.NoError(e.t, err)
	return next
}

func (e *env) verify(a *app.Service, at time.Time, id, name string, online bool) (events.VerifyReply, error) {
	e.clock.Set(at)
	return verifyOf(a, context.Background(), events.WhoReport{SchemaVersion: 1, SpinCycleID: id, CharacterName: name, Online: online, CapturedAt: at})
}

// candidateOf, stateOf and verifyOf call the app and answer in the wire form the
// request handlers give (ports).
func candidateOf(a *app.Service, ctx context.Context) (events.Candidate, error) {
	c, err := a.Candidate(ctx)
	if err != nil {
		return events.Candidate{}, err
	}
	return ports.Candidate(c), nil
}

func stateOf(a *app.Service, ctx context.Context) (events.RouletteSnapshot, error) {
	s, err := a.State(ctx)
	return ports.Snapshot(s), err
}

func verifyOf(a *app.Service, ctx context.Context, r events.WhoReport) (events.VerifyReply, error) {
	v, err := a.Verify(ctx, ports.Report(r))
	if err != nil {
		return events.VerifyReply{}, err
	}
	return ports.VerifyReply(v)
}

// cycleRows counts the roulette's cycle rows.
func (e *env) cycleRows() int {
	e.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.dbURL)
	require.NoError(e.t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(e.t, conn.QueryRow(ctx, `SELECT count(*) FROM `+adapters.Schema.Name+`.cycles`).Scan(&n))
	return n
}

// eventCount is how many messages the roulette stream holds on subject.
func (e *env) eventCount(subject string) int {
	e.t.Helper()
	ctx := context.Background()
	s, err := e.js.Stream(ctx, events.StreamRoulette.Name)
	require.NoError(e.t, err)
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	require.NoError(e.t, err)
	return int(info.State.Subjects[subject])
}

// events reads every envelope on subject.
func (e *env) envelopes(subject string) []events.Envelope {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.js.OrderedConsumer(ctx, events.StreamRoulette.Name, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	require.NoError(e.t, err)
	var out []events.Envelope
	n := e.eventCount(subject)
	for len(out) < n {
		msg, err := c.Next(jetstream.FetchMaxWait(2 * time.Second))
		require.NoError(e.t, err)
		var env events.Envelope
		require.NoError(e.t, json.Unmarshal(msg.Data(), &env))
		out = append(out, env)
	}
	return out
}

// snapshot is the KV value of roulette.state.
func (e *env) snapshot() events.RouletteSnapshot {
	e.t.Helper()
	ctx := context.Background()
	kv, err := e.js.KeyValue(ctx, events.StateBucket)
	require.NoError(e.t, err)
	entry, err := kv.Get(ctx, events.KeyRouletteState)
	require.NoError(e.t, err)
	var s events.RouletteSnapshot
	require.NoError(e.t, json.Unmarshal(entry.Value(), &s))
	return s
}
