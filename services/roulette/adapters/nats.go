package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/roulette/app"
	"github.com/mimiron/mgm/services/roulette/domain"
)

// PoolClient asks the pool service to draw (events.RPCPoolDraw).
type PoolClient struct {
	NC *nats.Conn
}

var _ app.Pool = PoolClient{}

// Draw asks for one eligible member; the caller's context bounds the wait.
func (c PoolClient) Draw(ctx context.Context, spinCycleID string) (*domain.Candidate, int, error) {
	var reply events.PoolDrawReply
	if err := natsx.Call(ctx, c.NC, events.RPCPoolDraw, events.PoolDrawRequest{SpinCycleID: spinCycleID}, &reply); err != nil {
		return nil, 0, fmt.Errorf("pool draw: %w", err)
	}
	if reply.Member == nil {
		return nil, reply.EligibleCount, nil
	}
	return &domain.Candidate{
		TwitchUserID:      reply.Member.TwitchUserID,
		TwitchDisplayName: reply.Member.TwitchDisplayName,
		CharacterName:     reply.Member.CharacterName,
	}, reply.EligibleCount, nil
}

// PayoutClient calls the payout service (events.RPCPayoutCreate, RPCPayoutGet).
type PayoutClient struct {
	NC      *nats.Conn
	Timeout time.Duration
}

var _ app.Payouts = PayoutClient{}

// Create creates (or, for a spin cycle that already has one, returns) the payout.
func (c PayoutClient) Create(ctx context.Context, req events.CreatePayoutRequest) (events.Payout, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var p events.Payout
	err := natsx.Call(ctx, c.NC, events.RPCPayoutCreate, req, &p)
	return p, err
}

// Get reads one payout.
func (c PayoutClient) Get(ctx context.Context, id string) (events.Payout, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var p events.Payout
	err := natsx.Call(ctx, c.NC, events.RPCPayoutGet, events.GetPayoutRequest{ID: id}, &p)
	return p, err
}

// Publisher publishes roulette events and keeps the snapshot KV key current.
type Publisher struct {
	JS jetstream.JetStream
	KV jetstream.KeyValue
}

var _ app.Publisher = Publisher{}

// StateKV opens the shared state bucket, creating it (history 1, file storage) if no
// service has yet; replicas and services racing to create it all end with the bucket.
func StateKV(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, events.StateBucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("open KV %s: %w", events.StateBucket, err)
	}
	kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  events.StateBucket,
		History: 1,
		Storage: jetstream.FileStorage,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, events.StateBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("create KV %s: %w", events.StateBucket, err)
	}
	return kv, nil
}

// Publish sends env with Nats-Msg-Id = env.ID.
func (p Publisher) Publish(ctx context.Context, env events.Envelope) error {
	_, err := events.Publish(ctx, p.JS, env)
	return err
}

// PutSnapshot writes s with compare-and-set on the key's revision, unless the stored
// snapshot has a higher version, or the same version and the same content. A lost race
// re-reads and decides again.
func (p Publisher) PutSnapshot(ctx context.Context, s events.RouletteSnapshot) error {
	val, err := json.Marshal(s)
	if err != nil {
		return err
	}
	var lastErr error
	for range 8 {
		e, err := p.KV.Get(ctx, events.KeyRouletteState)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err = p.KV.Create(ctx, events.KeyRouletteState, val); err == nil {
				return nil
			}
			lastErr = err
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", events.KeyRouletteState, err)
		}
		var cur events.RouletteSnapshot
		if json.Unmarshal(e.Value(), &cur) == nil &&
			(cur.Version > s.Version || (cur.Version == s.Version && bytes.Equal(e.Value(), val))) {
			return nil
		}
		if _, err = p.KV.Update(ctx, events.KeyRouletteState, val, e.Revision()); err == nil {
			return nil
		}
		lastErr = err
	}
	return fmt.Errorf("write %s: %w", events.KeyRouletteState, lastErr)
}
