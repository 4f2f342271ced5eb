package svc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
)

func TestCommand_DeadListAndReplayAServicesOwnDeadLetters(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.Stream{Name: "T", Subjects: []string{"t.>"}}))
	natsx.PoisonDelay = func(uint64) time.Duration { return 10 * time.Millisecond }
	handled := make(chan string, 10)
	fixed := make(chan struct{})
	task := natsx.Durable(natsx.Bus{JS: js, Log: testenv.Logger(t)}, "T", jetstream.ConsumerConfig{Durable: "pool-chat"}, 0,
		func(ctx context.Context, m jetstream.Msg) error {
			select {
			case <-fixed:
				handled <- m.Subject()
				return nil
			default:
				return errs.E(errs.Invalid, "no such command")
			}
		})
	go func() { _ = task(ctx) }()
	_, err := js.Publish(ctx, "t.cmd", []byte(`{"text":"!twgold ???"}`))
	require.NoError(t, err)

	cfg := config.Defaults()
	cfg.NATSURL = url
	run := func(name string, args ...string) (string, error) {
		var out bytes.Buffer
		err := svc.Command(ctx, name, cfg, args, &out)
		return out.String(), err
	}
	var list []natsx.DeadLetter
	testenv.Eventually(t, 15*time.Second, func() bool {
		out, err := run("pool", "dead", "list", "--json")
		list = nil
		return err == nil && json.Unmarshal([]byte(out), &list) == nil && len(list) == 1
	}, "the poison message never became a dead letter")
	assert.Equal(t, "pool-chat", list[0].Consumer)
	assert.Equal(t, "t.cmd", list[0].Subject)

	out, err := run("pool", "dead", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "pool-chat")
	assert.Contains(t, out, "no such command")
	out, err = run("payout", "dead", "list")
	require.NoError(t, err)
	assert.Equal(t, "no dead letters\n", out, "a service lists its own consumers only")

	_, err = run("payout", "dead", "replay", fmt.Sprint(list[0].Seq))
	assert.Error(t, err, "nor replays another's")
	close(fixed)
	out, err = run("pool", "dead", "replay", fmt.Sprint(list[0].Seq))
	require.NoError(t, err)
	assert.Contains(t, out, "handed back to pool-chat")
	select {
	case s := <-handled:
		assert.Equal(t, "t.cmd", s)
	case <-time.After(10 * time.Second):
		t.Fatal("the replay never reached the consumer")
	}
	_, err = run("pool", "dead", "replay", "x")
	assert.Error(t, err)
	_, err = run("pool", "dead")
	assert.Error(t, err)
}

func TestCommand_HealthcheckAsksTheOpsAddress(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz", r.URL.Path == "/readyz" && ready.Load():
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code":"unavailable","message":"PostgreSQL not answering"}`))
		}
	}))
	defer srv.Close()
	cfg := config.Defaults()
	cfg.OpsAddr = strings.Replace(strings.TrimPrefix(srv.URL, "http://"), "127.0.0.1", "0.0.0.0", 1)
	ctx := context.Background()
	err := svc.Command(ctx, "pool", cfg, []string{"healthcheck"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PostgreSQL not answering")
	assert.NoError(t, svc.Command(ctx, "pool", cfg, []string{"healthcheck", "live"}, nil))
	ready.Store(true)
	assert.NoError(t, svc.Command(ctx, "pool", cfg, []string{"healthcheck"}, nil))
	cfg.OpsAddr = ""
	assert.Error(t, svc.Command(ctx, "pool", cfg, []string{"healthcheck"}, nil))
	assert.ErrorIs(t, svc.Command(ctx, "pool", cfg, []string{"serve"}, nil), svc.ErrNotACommand)
}

func TestReadiness_WaitsForTheDurableConsumersToAttach(t *testing.T) {
	t.Parallel()
	d := deps(t).WithDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, natsx.EnsureStreams(ctx, d.JS, events.Stream{Name: "R", Subjects: []string{"r.>"}}))
	task := natsx.Durable(d.Bus(), "R", jetstream.ConsumerConfig{Durable: "svc-r"}, 0, func(context.Context, jetstream.Msg) error { return nil })
	err := svc.Readiness(ctx, d, svc.Parts{})
	assert.Equal(t, errs.Unavailable, errs.CodeOf(err), "not ready before the consumer takes messages")
	go func() { _ = task(ctx) }()
	testenv.Eventually(t, 10*time.Second, func() bool { return svc.Readiness(ctx, d, svc.Parts{}) == nil }, "never ready")
}
