package natsx

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// WithReplicas returns js with one difference: every stream and key-value bucket it
// creates or updates keeps n copies (MGM_NATS_REPLICAS), unless the caller asked for
// more. The replica count is a property of the deployment — 1 on a single server, 3 on
// a three-node cluster so that losing a node loses no acknowledged write — not of any
// one service, so it is applied here, once, to the handle every service receives.
// Consumers inherit their stream's count. n ≤ 1 returns js unchanged.
func WithReplicas(js jetstream.JetStream, n int) jetstream.JetStream {
	if n <= 1 {
		return js
	}
	return replicated{JetStream: js, n: n}
}

type replicated struct {
	jetstream.JetStream
	n int
}

func (r replicated) stream(cfg jetstream.StreamConfig) jetstream.StreamConfig {
	if cfg.Replicas < r.n {
		cfg.Replicas = r.n
	}
	return cfg
}

func (r replicated) bucket(cfg jetstream.KeyValueConfig) jetstream.KeyValueConfig {
	if cfg.Replicas < r.n {
		cfg.Replicas = r.n
	}
	return cfg
}

func (r replicated) CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return r.JetStream.CreateStream(ctx, r.stream(cfg))
}

func (r replicated) UpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return r.JetStream.UpdateStream(ctx, r.stream(cfg))
}

func (r replicated) CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return r.JetStream.CreateOrUpdateStream(ctx, r.stream(cfg))
}

func (r replicated) CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return r.JetStream.CreateKeyValue(ctx, r.bucket(cfg))
}

func (r replicated) UpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return r.JetStream.UpdateKeyValue(ctx, r.bucket(cfg))
}

func (r replicated) CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return r.JetStream.CreateOrUpdateKeyValue(ctx, r.bucket(cfg))
}
