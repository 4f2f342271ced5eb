package ports

import (
	"encoding/json"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/roulette/app"
	"github.com/mimiron/mgm/services/roulette/domain"
)

// Source is the envelope source of the roulette's events.
const Source = "roulette"

// Cycle is the wire form of a cycle.
func Cycle(c domain.Cycle) events.Cycle {
	out := events.Cycle{
		SpinCycleID:    c.ID,
		BoundaryAt:     c.Boundary,
		DrawnAt:        c.DrawnAt,
		VerifyDeadline: c.Deadline,
		Outcome:        string(c.Outcome),
		PayoutID:       c.PayoutID,
		CompletedAt:    c.CompletedAt,
	}
	if cd := c.Candidate; cd != nil {
		out.TwitchUserID = cd.TwitchUserID
		out.TwitchDisplayName = cd.TwitchDisplayName
		out.CharacterName = cd.CharacterName
	}
	return out
}

// Snapshot is the roulette's state document (KV key roulette.state, RPCRouletteState).
func Snapshot(s app.Snapshot) events.RouletteSnapshot {
	out := events.RouletteSnapshot{Version: s.Version, SpinIntervalSeconds: int(s.Interval.Seconds())}
	if s.Current != nil {
		c := Cycle(*s.Current)
		out.Current = &c
	}
	if s.LastSpin != nil {
		c := Cycle(*s.LastSpin)
		out.LastSpin = &c
	}
	return out
}

// Candidate is GET /api/roulette/candidate.
func Candidate(c domain.Cycle) events.Candidate {
	out := events.Candidate{SpinCycleID: c.ID, VerifyDeadline: c.Deadline}
	if c.Candidate != nil {
		out.CharacterName = c.Candidate.CharacterName
	}
	if c.DrawnAt != nil {
		out.DrawnAt = *c.DrawnAt
	}
	return out
}

// VerifyReply answers a verify-candidate report.
func VerifyReply(v app.Verdict) (events.VerifyReply, error) {
	out := events.VerifyReply{SpinCycleID: v.Cycle.ID, Outcome: string(v.Cycle.Outcome)}
	if v.Payout != nil {
		var p events.Payout
		if err := json.Unmarshal(v.Payout.Body, &p); err != nil {
			return out, err
		}
		out.Payout = &p
	}
	return out, nil
}

// Envelope is the event of a cycle: drawn or completed, with the deterministic id
// app.EventID gives it.
func Envelope(p app.Pending) (events.Envelope, error) {
	typ, at := events.RouletteCycleDrawn, p.Cycle.Boundary
	if p.Cycle.DrawnAt != nil {
		at = *p.Cycle.DrawnAt
	}
	if p.Kind == app.EventCompleted {
		typ = events.RouletteCycleCompleted
		if p.Cycle.CompletedAt != nil {
			at = *p.Cycle.CompletedAt
		}
	}
	return events.New(app.EventID(p.Cycle.ID, p.Kind), typ, Source, at, Cycle(p.Cycle))
}
