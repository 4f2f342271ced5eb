// Package ports answers the roulette's NATS requests: decode, call the app, reply.
package ports

import (
	"context"

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

// Handlers are the roulette's request handlers.
func Handlers(s *app.Service) map[string]natsx.Handler {
	return map[string]natsx.Handler{
		events.RPCRouletteState: natsx.HandleNone(func(ctx context.Context) (events.RouletteSnapshot, error) {
			st, err := s.State(ctx)
			return Snapshot(st), err
		}),
		events.RPCRouletteCandidate: natsx.HandleNone(func(ctx context.Context) (events.Candidate, error) {
			c, err := s.Candidate(ctx)
			if err != nil {
				return events.Candidate{}, err
			}
			return Candidate(c), nil
		}),
		events.RPCRouletteVerify: func(ctx context.Context, data []byte) (any, error) {
			r, err := DecodeWhoReport(data)
			if err != nil {
				return nil, err
			}
			v, err := s.Verify(ctx, Report(r))
			if err != nil {
				return nil, err
			}
			return VerifyReply(v)
		},
	}
}

// Report is a [MGM_WHO] report as the app judges it.
func Report(r events.WhoReport) app.Report {
	return app.Report{SchemaVersion: r.SchemaVersion, SpinCycleID: r.SpinCycleID, CharacterName: r.CharacterName, Online: r.Online}
}
