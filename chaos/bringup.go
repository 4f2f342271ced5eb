package main

// Bringing the deployment up: binaries built, PostgreSQL, the NATS cluster, every service
// with its replicas behind balancers, and the check that every stream is replicated.

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

// bringUp builds the binaries and starts the whole deployment: PostgreSQL, the NATS
// cluster, the fake Helix, every replica; it returns once every service is ready and
// every stream is at three replicas. down stops it all.
func bringUp(ctx context.Context, o options, root, dir string, say func(string, ...any)) (sys *system, down func(), err error) {
	var stops []func()
	down = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			down()
		}
	}()
	bin := filepath.Join(dir, "bin")
	if err := build(root, bin); err != nil {
		return nil, down, err
	}
	say("built %d services and nats-server (%s)", len(serviceNames), natsServerModule)

	pg, err := startPostgres(ctx, root, dir)
	if err != nil {
		return nil, down, err
	}
	stops = append(stops, pg.stop)
	say("PostgreSQL: private cluster in %s", pg.pgdata)

	cluster, err := startNATS(dir, bin)
	if err != nil {
		return nil, down, err
	}
	stops = append(stops, cluster.stop)
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = cluster.waitReady(rctx)
	cancel()
	if err != nil {
		return nil, down, err
	}
	say("NATS: three-node cluster %s (sync_interval: always)", cluster.URL())

	helix := fakehelix.New()
	stops = append(stops, helix.Close)
	cfg := config.Defaults()
	cfg.NATSURL, cfg.DatabaseURL, cfg.NATSReplicas = cluster.URL(), pg.URL, 3
	cfg.SpinInterval, cfg.APIKey = o.spin, apiKey
	cfg.BroadcasterID, cfg.SenderID = broadcasterID, senderID
	cfg.EventSubSecret, cfg.ExtensionSecrets = eventSubSecret, []string{extensionSecret}
	cfg.DesktopPerMin, cfg.ViewerReadPerMin = 1_000_000, 1_000_000
	cfg = helix.Configure(cfg)

	nc, err := natsx.Connect(cfg.NATSURL, "mgm-chaos")
	if err != nil {
		return nil, down, err
	}
	stops = append(stops, nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, down, err
	}
	sys = &system{dir: dir, bin: bin, nats: cluster, pg: pg, helix: helix, cfg: cfg, nc: nc, js: js}
	if err := sys.startServices(); err != nil {
		return nil, down, err
	}
	stops = append(stops, sys.stop)
	rctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	err = sys.waitReady(rctx)
	cancel()
	if err != nil {
		return nil, down, err
	}
	sys.upAt = time.Now()
	if err := checkReplicated(ctx, js); err != nil {
		return nil, down, err
	}
	say("services up: %s; every stream and the state bucket at 3 replicas", replicaSummary())
	if sys.db, err = pgxpool.New(ctx, pg.URL); err != nil {
		return nil, down, err
	}
	stops = append(stops, sys.db.Close)
	return sys, down, nil
}

// checkReplicated fails the run when a stream or the state bucket is not at three
// replicas: the cluster would not survive the node the schedule kills.
func checkReplicated(ctx context.Context, js jetstream.JetStream) error {
	names := []string{"KV_" + events.StateBucket}
	for _, s := range events.AllStreams {
		names = append(names, s.Name)
	}
	for _, n := range names {
		s, err := js.Stream(ctx, n)
		if err != nil {
			return fmt.Errorf("stream %s: %w", n, err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		if info.Config.Replicas != 3 {
			return fmt.Errorf("stream %s has %d replicas, want 3 (MGM_NATS_REPLICAS)", n, info.Config.Replicas)
		}
	}
	return nil
}

func replicaSummary() string {
	s := ""
	for i, n := range serviceNames {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s×%d", n, replicasOf(n))
	}
	return s
}
