// Package ports answers the roulette's NATS requests: decode, call the app, reply.
package ports

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/roulette/app"
)

// Queue is the roulette's queue group: replicas share the requests.
const Queue = "roulette"

// DecodeWhoReport reads a verify-candidate body ([MGM_WHO] JSON). Validation beyond the
// JSON shape is domain.ParseReport's, applied by the app.
func DecodeWhoReport(data []byte) (events.WhoReport, error) {
	var r events.WhoReport
	if err := natsx.Decode(data, &r); err != nil {
		return r, err
	}
	return r, nil
}

// Serve subscribes the roulette's request handlers.
func Serve(nc *nats.Conn, log *zap.Logger, a *app.App) (*natsx.Responders, error) {
	handlers := map[string]natsx.Handler{
		events.RPCRouletteState: func(ctx context.Context, _ []byte) (any, error) {
			return a.State(ctx)
		},
		events.RPCRouletteCandidate: func(ctx context.Context, _ []byte) (any, error) {
			return a.Candidate(ctx)
		},
		events.RPCRouletteVerify: func(ctx context.Context, data []byte) (any, error) {
			r, err := DecodeWhoReport(data)
			if err != nil {
				return nil, err
			}
			return a.Verify(ctx, r)
		},
	}
	return natsx.ServeAll(nc, Queue, log, handlers)
}
