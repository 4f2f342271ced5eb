package natsx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
)

// ViewersTTL is how long the gateway's record of a viewer's opaque id lives after it
// was last written (the gateway writes it again, at most hourly, while the viewer's
// panel calls it). A viewer who stops sharing their identity is forgotten at once;
// one who just leaves, after a day.
const ViewersTTL = 24 * time.Hour

// PanelLeaseTTL is how long the panel pusher's lease outlives its holder's last renewal.
const PanelLeaseTTL = 15 * time.Second

// ViewersBucket opens events.ViewersBucket, creating it when missing (history 1,
// entries expire after ViewersTTL).
func ViewersBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	return openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: events.ViewersBucket, History: 1, TTL: ViewersTTL, Storage: jetstream.FileStorage})
}

// PanelBucket opens events.PanelBucket, creating it when missing (history 1, entries
// expire after PanelLeaseTTL: the lease key lives only while it is renewed).
func PanelBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	return openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: events.PanelBucket, History: 1, TTL: PanelLeaseTTL, Storage: jetstream.FileStorage})
}

// openBucket opens a bucket or creates it. Like EnsureStreams, it waits out a cluster
// too busy to answer in time (up to EnsureAttempts tries): on make chaos's three-node
// cluster a roulette replica starting with fourteen others ended its start on "open KV
// MGM_STATE: context deadline exceeded" and had to be restarted.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	for attempt := 1; ; attempt++ {
		kv, err := openBucketOnce(ctx, js, cfg)
		if err == nil || !slowCluster(err) || ctx.Err() != nil || attempt >= EnsureAttempts {
			return kv, err
		}
		pause(ctx)
	}
}

func openBucketOnce(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("open KV %s: %w", cfg.Bucket, err)
	}
	kv, err = js.CreateKeyValue(ctx, cfg)
	if err != nil {
		// Another service or replica created it meanwhile.
		if kv2, err2 := js.KeyValue(ctx, cfg.Bucket); err2 == nil {
			return kv2, nil
		}
		return nil, fmt.Errorf("create KV %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}
