package natsx_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

// fastRetries shortens the redelivery delays, once for the whole test binary (they are
// package variables read by every consumer).
var shorten sync.Once

func fastRetries(*testing.T) {
	shorten.Do(func() {
		natsx.RetryDelay = func(uint64) time.Duration { return 10 * time.Millisecond }
		natsx.PoisonDelay = func(uint64) time.Duration { return 10 * time.Millisecond }
	})
}

type deadWorld struct {
	t   *testing.T
	ctx context.Context
	nc  *nats.Conn
	js  jetstream.JetStream
	reg *prometheus.Registry
}

func newDeadWorld(t *testing.T) *deadWorld {
	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.Stream{Name: "T", Subjects: []string{"t.>"}}))
	fastRetries(t)
	return &deadWorld{t: t, ctx: ctx, nc: nc, js: js, reg: prometheus.NewRegistry()}
}

// run starts the durable consumer "svc-c" on T with h, as a service would.
func (w *deadWorld) run(ctx context.Context, cfg jetstream.ConsumerConfig, h natsx.MsgHandler) {
	if cfg.Durable == "" {
		cfg.Durable = "svc-c"
	}
	task := natsx.Durable(natsx.Bus{JS: w.js, Log: testenv.Logger(w.t), Metrics: w.reg}, "T", cfg, 0, h)
	go func() { _ = task(ctx) }()
}

func TestDurable_PoisonIsTriedFiveTimesThenKeptAsADeadLetter(t *testing.T) {
	t.Parallel()
	w := newDeadWorld(t)
	var n atomic.Int32
	w.run(w.ctx, jetstream.ConsumerConfig{}, func(ctx context.Context, m jetstream.Msg) error {
		n.Add(1)
		return errs.E(errs.Invalid, "cannot read %s", m.Subject())
	})
	msg := nats.NewMsg("t.bad")
	msg.Data = []byte(`{"x":1}`)
	msg.Header.Set(nats.MsgIdHdr, "orig-1")
	_, err := w.js.PublishMsg(w.ctx, msg)
	require.NoError(t, err)

	var dead []natsx.DeadLetter
	testenv.Eventually(t, 10*time.Second, func() bool {
		dead, err = natsx.ListDead(w.ctx, w.js, nil)
		return err == nil && len(dead) == 1
	}, "no dead letter (handled %d times)", n.Load())
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, int32(natsx.PoisonDeliveries), n.Load(), "tried PoisonDeliveries times, not once more")
	d := dead[0]
	assert.Equal(t, "svc-c", d.Consumer)
	assert.Equal(t, "T", d.Stream)
	assert.Equal(t, "t.bad", d.Subject)
	assert.Equal(t, uint64(1), d.StreamSeq)
	assert.Equal(t, natsx.PoisonDeliveries, d.Deliveries)
	assert.Equal(t, string(errs.Invalid), d.Code)
	assert.Contains(t, d.Error, "cannot read t.bad")
	assert.JSONEq(t, `{"x":1}`, string(d.Data))
	assert.Zero(t, d.Replays)
	assert.Equal(t, float64(1), testutil.ToFloat64(counter(t, w.reg, "mgm_consumer_messages_total", "svc-c", natsx.OutcomeDeadLetter)))
	assert.Equal(t, float64(natsx.PoisonDeliveries-1), testutil.ToFloat64(counter(t, w.reg, "mgm_consumer_messages_total", "svc-c", natsx.OutcomePoisonRetry)))

	// A service lists only its own consumers' dead letters.
	none, err := natsx.ListDead(w.ctx, w.js, func(c string) bool { return strings.HasPrefix(c, "other-") })
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestDurable_AReplayReachesTheSameHandlerAsTheOriginalMessage(t *testing.T) {
	t.Parallel()
	w := newDeadWorld(t)
	var fixed atomic.Bool
	type seen struct{ subject, data, id string }
	got := make(chan seen, 10)
	w.run(w.ctx, jetstream.ConsumerConfig{}, func(ctx context.Context, m jetstream.Msg) error {
		if !fixed.Load() {
			return errs.E(errs.Invalid, "a bug")
		}
		got <- seen{m.Subject(), string(m.Data()), m.Headers().Get(natsx.HeaderDeadMsgID)}
		return nil
	})
	msg := nats.NewMsg("t.later")
	msg.Data = []byte("payload")
	msg.Header.Set(nats.MsgIdHdr, "orig-2")
	_, err := w.js.PublishMsg(w.ctx, msg)
	require.NoError(t, err)
	var dead []natsx.DeadLetter
	testenv.Eventually(t, 10*time.Second, func() bool {
		dead, err = natsx.ListDead(w.ctx, w.js, nil)
		return err == nil && len(dead) == 1
	}, "no dead letter")

	// The bug is fixed (a deploy); the operator replays.
	fixed.Store(true)
	_, err = natsx.ReplayDead(w.ctx, w.js, dead[0].Seq, func(c string) bool { return c == "other" })
	assert.Equal(t, errs.NotFound, errs.CodeOf(err), "a service replays only its own dead letters")
	d, err := natsx.ReplayDead(w.ctx, w.js, dead[0].Seq, nil)
	require.NoError(t, err)
	assert.Equal(t, "svc-c", d.Consumer)
	select {
	case s := <-got:
		assert.Equal(t, seen{"t.later", "payload", "orig-2"}, s, "the handler sees the original subject and data")
	case <-time.After(10 * time.Second):
		t.Fatal("the replay never reached the handler")
	}
	dead, err = natsx.ListDead(w.ctx, w.js, nil)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, 1, dead[0].Replays)

	_, err = natsx.ReplayDead(w.ctx, w.js, 999, nil)
	assert.Equal(t, errs.NotFound, errs.CodeOf(err))
}

func TestDurable_TemporaryFailuresAreRetriedWithoutLimit(t *testing.T) {
	t.Parallel()
	w := newDeadWorld(t)
	var n atomic.Int32
	w.run(w.ctx, jetstream.ConsumerConfig{}, func(ctx context.Context, m jetstream.Msg) error {
		if n.Add(1) <= 3*natsx.PoisonDeliveries {
			return errs.E(errs.Unavailable, "database down")
		}
		return nil
	})
	_, err := w.js.Publish(w.ctx, "t.db", []byte("x"))
	require.NoError(t, err)
	testenv.Eventually(t, 15*time.Second, func() bool { return n.Load() == 3*natsx.PoisonDeliveries+1 }, "handled %d times", n.Load())
	dead, err := natsx.ListDead(w.ctx, w.js, nil)
	require.NoError(t, err)
	assert.Empty(t, dead, "a temporary failure is never a dead letter")
	// The consumer has no MaxDeliver that would stop the retries behind our back.
	c, err := w.js.Consumer(w.ctx, "T", "svc-c")
	require.NoError(t, err)
	assert.Equal(t, -1, c.CachedInfo().Config.MaxDeliver)
}

func TestDurable_WorkLongerThanAckWaitIsNotRedeliveredWhileItsReplicaLives(t *testing.T) {
	t.Parallel()
	w := newDeadWorld(t)
	var n atomic.Int32
	w.run(w.ctx, jetstream.ConsumerConfig{AckWait: 300 * time.Millisecond}, func(ctx context.Context, m jetstream.Msg) error {
		n.Add(1)
		time.Sleep(1500 * time.Millisecond) // five AckWaits
		return nil
	})
	for i := 0; i < 3; i++ { // the second and third wait their turn past AckWait too
		_, err := w.js.Publish(w.ctx, "t.slow", []byte("x"))
		require.NoError(t, err)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return n.Load() >= 3 }, "handled %d", n.Load())
	time.Sleep(time.Second)
	assert.Equal(t, int32(3), n.Load(), "no message handled twice")
}

func TestDurable_AMessageHeldByAReplicaThatDiedComesBackAfterAckWait(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, js := testenv.Conn(t, url)
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.Stream{Name: "T", Subjects: []string{"t.>"}}))
	cfg := jetstream.ConsumerConfig{Durable: "svc-c", AckWait: 500 * time.Millisecond}

	// Replica A takes the message and dies in the middle of it: its connection goes away.
	ncA, err := nats.Connect(url)
	require.NoError(t, err)
	jsA, err := jetstream.New(ncA)
	require.NoError(t, err)
	took := make(chan struct{})
	go func() {
		_ = natsx.Durable(natsx.Bus{JS: jsA}, "T", cfg, 0, func(ctx context.Context, m jetstream.Msg) error {
			close(took)
			<-ctx.Done()
			select {} // never answers: the process is gone
		})(ctx)
	}()
	_, err = js.Publish(ctx, "t.x", []byte("x"))
	require.NoError(t, err)
	select {
	case <-took:
	case <-time.After(5 * time.Second):
		t.Fatal("replica A never took the message")
	}
	ncA.Close()
	died := time.Now()

	// Replica B gets it once AckWait has passed.
	_, jsB := testenv.Conn(t, url)
	got := make(chan time.Time, 1)
	go func() {
		_ = natsx.Durable(natsx.Bus{JS: jsB}, "T", cfg, 0, func(ctx context.Context, m jetstream.Msg) error {
			got <- time.Now()
			return nil
		})(ctx)
	}()
	select {
	case at := <-got:
		assert.Less(t, at.Sub(died), 5*time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("the message held by the dead replica never came back")
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := true
			for i, lp := range m.GetLabel() {
				match = match && i < len(labels) && lp.GetValue() == labels[i]
			}
			if match {
				return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x", Help: "x"}, func() float64 { return m.GetCounter().GetValue() })
			}
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return nil
}
