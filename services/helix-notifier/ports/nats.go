// Package ports connects helix-notifier to NATS: the durable JetStream consumers that
// feed the announcer and the operator's request/reply subjects.
package ports

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/helix-notifier/app"
)

// Consume feeds c's messages to the announcer until ctx ends, then waits for the message
// in hand. maxDeliver must match the consumer's MaxDeliver: the announcer gives up (and
// records why) on that delivery.
func Consume(ctx context.Context, c jetstream.Consumer, maxDeliver int, a *app.Announcer, log *zap.Logger) error {
	// mu is held while a message is handled, so stopping waits for the one in hand.
	var mu sync.Mutex
	stopped := false
	cc, err := c.Consume(func(msg jetstream.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || ctx.Err() != nil {
			return // shutting down: leave it for a redelivery
		}
		handle(ctx, msg, maxDeliver, a, log)
	}, jetstream.PullMaxMessages(16))
	if err != nil {
		return err
	}
	<-ctx.Done()
	cc.Stop()
	mu.Lock()
	stopped = true
	mu.Unlock()
	return nil
}

func handle(ctx context.Context, msg jetstream.Msg, maxDeliver int, a *app.Announcer, log *zap.Logger) {
	req, ok, err := decode(msg)
	if err != nil {
		log.Error("undecodable message, terminated", zap.String("subject", msg.Subject()), zap.Error(err))
		_ = msg.Term()
		return
	}
	if !ok {
		_ = msg.Ack() // not a Sent transition
		return
	}
	if md, err := msg.Metadata(); err == nil {
		req.Delivery = int(md.NumDelivered)
	}
	req.LastDelivery = maxDeliver > 0 && req.Delivery >= maxDeliver
	out, err := a.Announce(ctx, req)
	if err != nil {
		if req.LastDelivery {
			log.Error("announcement abandoned on its last delivery", zap.String("payoutId", req.PayoutID), zap.Error(err))
		} else if errs.Temporary(errs.CodeOf(err)) {
			log.Warn("announcement attempt failed", zap.String("payoutId", req.PayoutID), zap.Error(err))
		} else {
			log.Error("announcement rejected", zap.String("payoutId", req.PayoutID), zap.Error(err))
			_ = msg.Term()
			return
		}
	}
	switch {
	case out.Abandon:
	case out.Retry:
		_ = msg.NakWithDelay(out.Delay)
	default:
		_ = msg.Ack()
	}
}

// decode reads a payout status change (acting on To == Sent only) or a replay request.
func decode(msg jetstream.Msg) (app.Request, bool, error) {
	switch msg.Subject() {
	case events.NotifyRewardReplay:
		var n events.RewardNotice
		if _, err := events.Decode(msg.Data(), &n); err != nil {
			return app.Request{}, false, err
		}
		return app.Request{PayoutID: n.PayoutID, CharacterName: n.CharacterName}, true, nil
	default:
		var p events.PayoutEvent
		env, err := events.Decode(msg.Data(), &p)
		if err != nil {
			return app.Request{}, false, err
		}
		if p.To != events.StatusSent {
			return app.Request{}, false, nil
		}
		return app.Request{PayoutID: p.Payout.ID, CharacterName: p.Payout.CharacterName, OccurredAt: env.OccurredAt}, true, nil
	}
}

// Serve answers the operator RPCs (events.RPCNotifierFailures, events.RPCNotifierReplay)
// in queue group helix-notifier.
func Serve(nc *nats.Conn, op *app.Operator, log *zap.Logger) ([]*nats.Subscription, error) {
	list, err := natsx.Serve(nc, events.RPCNotifierFailures, "helix-notifier", log, func(ctx context.Context, _ []byte) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return op.Failures(ctx)
	})
	if err != nil {
		return nil, err
	}
	replay, err := natsx.Serve(nc, events.RPCNotifierReplay, "helix-notifier", log, func(ctx context.Context, data []byte) (any, error) {
		var req events.ReplayRequest
		if err := natsx.Decode(data, &req); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return op.Replay(ctx, req.PayoutID)
	})
	if err != nil {
		_ = list.Unsubscribe()
		return nil, err
	}
	return []*nats.Subscription{list, replay}, nil
}
