package natsx_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

type echoReq struct {
	Name string `json:"name"`
}

func TestCall_CarriesRepliesAndErrorCodes(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, _ := testenv.Conn(t, url)
	log := testenv.Logger(t)
	_, err := natsx.Serve(nc, "t", 0, log, map[string]natsx.Handler{"t.echo": func(ctx context.Context, data []byte) (any, error) {
		var r echoReq
		if err := natsx.Decode(data, &r); err != nil {
			return nil, err
		}
		if r.Name == "taken" {
			return nil, errs.E(errs.CharacterNameTaken, "name %s is taken", r.Name).WithDetails(map[string]any{"characterName": r.Name})
		}
		if r.Name == "boom" {
			return nil, errors.New("database password=hunter2 exploded")
		}
		return r, nil
	}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	var out echoReq
	require.NoError(t, natsx.Call(ctx, nc, "t.echo", echoReq{"Norinn"}, &out))
	assert.Equal(t, "Norinn", out.Name)

	err = natsx.Call(ctx, nc, "t.echo", echoReq{"taken"}, &out)
	var e *errs.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, errs.CharacterNameTaken, e.Code)
	assert.Equal(t, "taken", e.Details["characterName"])

	err = natsx.Call(ctx, nc, "t.echo", echoReq{"boom"}, &out)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, errs.Internal, e.Code)
	assert.NotContains(t, e.Message, "hunter2", "causes never cross the wire")
}

func TestCall_NoResponderIsUnavailable(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, _ := testenv.Conn(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := natsx.Call(ctx, nc, "t.nobody", struct{}{}, nil)
	assert.Equal(t, errs.Unavailable, errs.CodeOf(err))
}

func TestConsume_SettlesByTheHandlersDeliveryHint(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.Stream{Name: "T", Subjects: []string{"t.>"}}))
	// Idempotent at every start-up.
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.Stream{Name: "T", Subjects: []string{"t.>"}}))
	c, err := natsx.EnsureConsumer(ctx, js, "T", jetstream.ConsumerConfig{Durable: "c", AckWait: 300 * time.Millisecond})
	require.NoError(t, err)
	fastRetries(t)

	var okN, flakyN, poisonN, laterN, abandonN atomic.Int32
	var laterAt, abandonAt [2]atomic.Int64
	go func() {
		_ = natsx.Consume(ctx, c, natsx.NewSettler(natsx.Bus{JS: js, Log: testenv.Logger(t)}, "T", "c"), 0, func(ctx context.Context, m jetstream.Msg) error {
			switch m.Subject() {
			case "t.ok":
				okN.Add(1)
				return nil
			case "t.flaky":
				if flakyN.Add(1) < 3 {
					return errs.E(errs.Unavailable, "try later")
				}
				return nil
			case "t.later":
				n := laterN.Add(1)
				laterAt[min(n, 2)-1].Store(time.Now().UnixNano())
				if n == 1 {
					return errs.Later(time.Second, errs.E(errs.Invalid, "not yet, whatever the code says"))
				}
				return nil
			case "t.abandon":
				n := abandonN.Add(1)
				abandonAt[min(n, 2)-1].Store(time.Now().UnixNano())
				if n == 1 {
					return errs.Abandon(errors.New("stopped mid-way"))
				}
				return nil
			default:
				poisonN.Add(1)
				return errs.E(errs.Invalid, "never")
			}
		})
	}()
	for _, s := range []string{"t.ok", "t.flaky", "t.poison", "t.later", "t.abandon"} {
		_, err := js.Publish(ctx, s, []byte("x"))
		require.NoError(t, err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { return okN.Load() == 1 && flakyN.Load() == 3 && poisonN.Load() == natsx.PoisonDeliveries }, "ok=%d flaky=%d poison=%d", okN.Load(), flakyN.Load(), poisonN.Load())
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, int32(natsx.PoisonDeliveries), poisonN.Load(), "a poison message is tried PoisonDeliveries times, then kept and terminated")
	assert.Equal(t, int32(3), flakyN.Load(), "a temporary failure is redelivered until it succeeds")

	testenv.Eventually(t, 5*time.Second, func() bool { return laterN.Load() == 2 && abandonN.Load() == 2 }, "later=%d abandon=%d", laterN.Load(), abandonN.Load())
	assert.GreaterOrEqual(t, time.Duration(laterAt[1].Load()-laterAt[0].Load()), 900*time.Millisecond,
		"Later naks with the handler's delay, not the consumer's (and not Term for its code)")
	assert.GreaterOrEqual(t, time.Duration(abandonAt[1].Load()-abandonAt[0].Load()), 250*time.Millisecond,
		"an abandoned message comes back after AckWait")
}

func TestStartEmbedded_SyncAlways(t *testing.T) {
	t.Parallel()
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{StoreDir: t.TempDir()})
	require.NoError(t, err)
	defer s.Shutdown()
	assert.True(t, s.JetStreamEnabled())
	assert.True(t, s.JetStreamConfig().SyncAlways, "every JetStream write is fsynced")
}

func TestServe_HandlesRequestsConcurrently(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, _ := testenv.Conn(t, url)
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	_, err := natsx.Serve(nc, "t", 0, testenv.Logger(t), map[string]natsx.Handler{"t.slow": func(ctx context.Context, data []byte) (any, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		return struct{}{}, nil
	}})
	require.NoError(t, err)
	done := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			done <- natsx.Call(ctx, nc, "t.slow", struct{}{}, nil)
		}()
	}
	testenv.Eventually(t, 3*time.Second, func() bool { return peak.Load() == 4 }, "requests were handled one at a time (peak %d)", peak.Load())
	close(release)
	for i := 0; i < 4; i++ {
		require.NoError(t, <-done)
	}
}
