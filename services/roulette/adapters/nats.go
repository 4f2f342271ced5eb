package adapters

import (
	"context"
	"encoding/json"
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
	cand := &domain.Candidate{
		TwitchUserID:      reply.Member.TwitchUserID,
		TwitchDisplayName: reply.Member.TwitchDisplayName,
		CharacterName:     reply.Member.CharacterName,
	}
	if reply.Member.EnrolledAt != nil {
		cand.EnrolledAt = reply.Member.EnrolledAt.UTC()
	}
	return cand, reply.EligibleCount, nil
}

// PayoutClient calls the payout service (events.RPCPayoutCreate, RPCPayoutGet).
type PayoutClient struct {
	NC      *nats.Conn
	Timeout time.Duration
}

var _ app.Payouts = PayoutClient{}

// Create creates (or, for a spin cycle that already has one, returns) the payout of
// the cycle's candidate.
func (c PayoutClient) Create(ctx context.Context, cy domain.Cycle) (app.Payout, error) {
	req := events.CreatePayoutRequest{SpinCycleID: cy.ID, DrawnAt: cy.DrawnAt}
	if cd := cy.Candidate; cd != nil {
		req.TwitchUserID, req.TwitchDisplayName, req.CharacterName = cd.TwitchUserID, cd.TwitchDisplayName, cd.CharacterName
		if !cd.EnrolledAt.IsZero() {
			at := cd.EnrolledAt
			req.EnrolledAt = &at
		}
	}
	return c.call(ctx, events.RPCPayoutCreate, req)
}

// Get reads one payout.
func (c PayoutClient) Get(ctx context.Context, id string) (app.Payout, error) {
	return c.call(ctx, events.RPCPayoutGet, events.GetPayoutRequest{ID: id})
}

func (c PayoutClient) call(ctx context.Context, subject string, req any) (app.Payout, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var raw json.RawMessage
	if err := natsx.Call(ctx, c.NC, subject, req, &raw); err != nil {
		return app.Payout{}, err
	}
	var p events.Payout
	if err := json.Unmarshal(raw, &p); err != nil {
		return app.Payout{}, fmt.Errorf("decode %s reply: %w", subject, err)
	}
	return app.Payout{ID: p.ID, Body: raw}, nil
}

// Snapshots writes the roulette's state document (key roulette.state of the state
// bucket) in its wire form, unless the stored one is newer (natsx.PutState).
type Snapshots struct {
	KV   jetstream.KeyValue
	Wire func(app.Snapshot) events.RouletteSnapshot // ports.Snapshot
}

var _ app.Snapshots = Snapshots{}

// Put implements app.Snapshots.
func (s Snapshots) Put(ctx context.Context, snap app.Snapshot) error {
	return natsx.PutState(ctx, s.KV, events.KeyRouletteState, s.Wire(snap), func(s events.RouletteSnapshot) int64 { return s.Version })
}
