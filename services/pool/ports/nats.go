// Package ports connects the pool's use cases to NATS: the chat and payout consumers
// (JetStream, durable, pull) and the request/reply handlers the gateway and the
// roulette call (queue group "pool", shared by replicas).
package ports

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"

	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

// Durable consumer names (shared by every replica) and the queue group.
const (
	ChatConsumer   = "pool-chat"
	PayoutConsumer = "pool-payout"
	Queue          = "pool"
)

// ChatBatch is how many chat commands the pool applies in one transaction at most.
const ChatBatch = 128

// Handlers are the pool's request handlers.
func Handlers(s *app.Service) map[string]natsx.Handler {
	return map[string]natsx.Handler{
		events.RPCPoolMe: natsx.Handle(func(ctx context.Context, req events.PoolMeRequest) (events.PoolMeReply, error) {
			m, err := s.Me(ctx, req.TwitchUserID)
			if err != nil || m == nil {
				return events.PoolMeReply{}, err
			}
			name := m.CharacterName
			return events.PoolMeReply{IsEnrolled: true, CharacterName: &name}, nil
		}),
		events.RPCPoolClaim: natsx.Handle(func(ctx context.Context, req events.PoolClaimRequest) (events.PoolClaimReply, error) {
			r, err := s.Claim(ctx, app.ClaimRequest{TwitchUserID: req.TwitchUserID, DisplayName: req.TwitchDisplayName,
				CharacterName: req.CharacterName, RequestID: req.EnrollmentRequestID})
			return events.PoolClaimReply{CharacterName: r.CharacterName, EnrollmentRequestID: req.EnrollmentRequestID,
				Created: r.Created, Replay: r.Replay}, err
		}),
		events.RPCPoolStats: natsx.HandleNone(func(ctx context.Context) (events.PoolStats, error) {
			st, err := s.Stats(ctx)
			return Stats(st), err
		}),
		events.RPCPoolDraw: natsx.HandleOptional(func(ctx context.Context, req events.PoolDrawRequest) (events.PoolDrawReply, error) {
			d, err := s.Draw(ctx, req.SpinCycleID)
			if err != nil {
				return events.PoolDrawReply{}, err
			}
			out := events.PoolDrawReply{EligibleCount: int(d.EligibleCount)}
			if m := d.Member; m != nil {
				out.Member = &events.DrawnMember{TwitchUserID: m.TwitchUserID, TwitchDisplayName: m.DisplayName, CharacterName: m.CharacterName}
				if !d.EnrolledAt.IsZero() {
					at := d.EnrolledAt
					out.Member.EnrolledAt = &at
				}
			}
			return out, nil
		}),
	}
}

// Stats is the wire form of the pool's counters (also the stats document).
func Stats(st domain.Stats) events.PoolStats {
	return events.PoolStats{Version: st.Version, PoolSize: int(st.PoolSize), EligibleCount: int(st.EligibleCount), UpdatedAt: st.UpdatedAt}
}

// Chat applies `!twgold` chat commands in batches until ctx ends.
func Chat(b natsx.Bus, s *app.Service) svc.Task {
	return natsx.DurableBatches(b, events.StreamChat.Name, jetstream.ConsumerConfig{
		Durable:       ChatConsumer,
		FilterSubject: events.ChatTwGold,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	}, ChatBatch, ChatBatch, ChatBatchHandler(s))
}

// Payouts folds payout events into eligibility until ctx ends.
func Payouts(b natsx.Bus, s *app.Service) svc.Task {
	// One wildcard filter rather than FilterSubjects: servers before 2.10 (Debian's
	// nats-server among them) refuse several filters; PayoutHandler skips the rest.
	return natsx.Durable(b, events.StreamPayout.Name, jetstream.ConsumerConfig{
		Durable:       PayoutConsumer,
		FilterSubject: "mgm.payout.>",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	}, 0, PayoutHandler(s))
}

// PayoutHandler decodes a payout created/status-changed event and folds it into
// eligibility; the stream's other payout events (accepted, announced) are acknowledged
// unread.
func PayoutHandler(s *app.Service) natsx.MsgHandler {
	return func(ctx context.Context, msg jetstream.Msg) error {
		if sub := msg.Subject(); sub != events.PayoutCreated && sub != events.PayoutStatusChanged {
			return nil
		}
		var ev events.PayoutEvent
		env, err := natsx.DecodeEvent(msg, &ev)
		if err != nil {
			return err
		}
		p := ev.Payout
		return s.HandlePayout(ctx, domain.PayoutFact{
			EventID: env.ID, PayoutID: p.ID, TwitchUserID: p.TwitchUserID, DisplayName: p.TwitchDisplayName,
			CharacterName: p.CharacterName, Status: p.Status, Version: p.Version, LifetimeSentGold: ev.LifetimeSentGold,
		})
	}
}
