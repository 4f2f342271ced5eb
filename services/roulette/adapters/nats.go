package adapters

import (
	"context"
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

// Publish sends env with Nats-Msg-Id = env.ID.
func (p Publisher) Publish(ctx context.Context, env events.Envelope) error {
	_, err := natsx.PublishEvent(ctx, p.JS, env)
	return err
}

// PutSnapshot writes s unless the stored snapshot is newer (natsx.PutState).
func (p Publisher) PutSnapshot(ctx context.Context, s events.RouletteSnapshot) error {
	return natsx.PutState(ctx, p.KV, events.KeyRouletteState, s, func(s events.RouletteSnapshot) int64 { return s.Version })
}
