// Package domain holds the roulette's rules: one spin cycle per UTC boundary, drawn at
// most once, then awaiting a single /who report until its own deadline and completed
// with an outcome. It knows nothing of PostgreSQL or NATS.
package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

// State is where a cycle is in its life.
type State string

const (
	// StatePending: the boundary has come, the draw is not recorded yet (the pool may be
	// unreachable; the draw is retried within DrawWindow).
	StatePending State = "pending"
	// StateAwaiting: a candidate is drawn and its /who report is awaited.
	StateAwaiting State = "awaiting"
	// StateEmpty: the pool answered that nobody is eligible. No candidate, no re-draw.
	StateEmpty State = "empty"
	// StateMissed: the pool never answered within the draw window. No candidate, no
	// late draw.
	StateMissed State = "missed"
	// StateCompleted: the cycle has its Outcome.
	StateCompleted State = "completed"
)

// Outcome is how a cycle with a candidate ended; the values are the wire values of
// events.OutcomeWinner, OutcomeOffline and OutcomeNoReport.
type Outcome string

const (
	Winner   Outcome = "winner"
	Offline  Outcome = "offline"
	NoReport Outcome = "no_report"
)

// MaxDrawDelay is the longest a draw may come after its boundary: a replica that
// starts, or a pool that answers, later than that leaves the boundary undrawn rather than
// drawing late and eating into the candidate's time to be verified.
const MaxDrawDelay = 30 * time.Second

// DrawWindow is how long after its boundary a cycle may still be drawn: MaxDrawDelay,
// or half the interval when the interval is short (development and tests).
func DrawWindow(interval time.Duration) time.Duration {
	return min(MaxDrawDelay, interval/2)
}

// DueBoundary is the boundary whose cycle should be drawn at now, and false when the
// latest boundary's draw window has passed. Never a boundary after now: no early draws.
func DueBoundary(now time.Time, interval time.Duration) (time.Time, bool) {
	b := domain.BoundaryAtOrBefore(now, interval)
	return b, now.Sub(b) <= DrawWindow(interval)
}

// Candidate is the member a cycle drew.
type Candidate struct {
	TwitchUserID      string
	TwitchDisplayName string
	CharacterName     string
	// EnrolledAt is when the member's pool membership began, as the pool answered (zero
	// when it did not say); the payout service refuses a win paid since.
	EnrolledAt time.Time
}

// Cycle is the spin cycle of one boundary.
type Cycle struct {
	ID            string
	Boundary      time.Time
	Interval      time.Duration
	Deadline      time.Time // last instant a /who report is accepted (next boundary + grace)
	State         State
	DrawnAt       *time.Time // when the pool answered (also for StateEmpty)
	EligibleCount int
	Candidate     *Candidate
	Outcome       Outcome // "" until completed
	PayoutID      string  // winner only
	CompletedAt   *time.Time
}

// NewCycle is the pending cycle of boundary.
func NewCycle(boundary time.Time, interval time.Duration) Cycle {
	b := boundary.UTC()
	return Cycle{
		ID:       domain.SpinCycleID(b),
		Boundary: b,
		Interval: interval,
		Deadline: domain.VerifyDeadline(b, interval),
		State:    StatePending,
	}
}

// RecordDraw records the pool's answer: a candidate, or nil when nobody was eligible.
func (c *Cycle) RecordDraw(cand *Candidate, eligible int, at time.Time) error {
	if c.State != StatePending {
		return errs.E(errs.Conflict, "cycle %s is already %s", c.ID, c.State)
	}
	if at.Before(c.Boundary) {
		return errs.E(errs.Conflict, "cycle %s cannot draw before its boundary %s", c.ID, c.Boundary.Format(time.RFC3339))
	}
	at = at.UTC()
	c.DrawnAt = &at
	c.EligibleCount = eligible
	if cand == nil || cand.CharacterName == "" {
		c.State = StateEmpty
		c.Candidate = nil
		return nil
	}
	cp := *cand
	c.Candidate = &cp
	c.State = StateAwaiting
	return nil
}

// Expire completes an awaiting cycle whose deadline has passed with no_report, and
// reports whether it did.
func (c *Cycle) Expire(now time.Time) bool {
	if c.State != StateAwaiting || !now.After(c.Deadline) {
		return false
	}
	c.complete(NoReport, "", now)
	return true
}

func (c *Cycle) complete(o Outcome, payoutID string, at time.Time) {
	at = at.UTC()
	c.State = StateCompleted
	c.Outcome = o
	c.PayoutID = payoutID
	c.CompletedAt = &at
}

// SchemaVersion is the only [MGM_WHO] schema this backend reads.
const SchemaVersion = 1

// maxReportedNameRunes bounds the name a report may carry; real names are 2–12 letters,
// anything far longer is not a name at all.
const maxReportedNameRunes = 64

// Report is a validated /who report.
type Report struct {
	SpinCycleID   string
	CharacterName string
	Online        bool
}

// ParseReport validates the fields of a [MGM_WHO] report: schema version 1, a UUID cycle
// id (canonical lower-case form) and a non-empty character name. Everything else is
// judged against the named cycle.
func ParseReport(schemaVersion int, spinCycleID, characterName string, online bool) (Report, error) {
	if schemaVersion != SchemaVersion {
		return Report{}, errs.E(errs.Invalid, "schemaVersion must be %d", SchemaVersion).
			WithDetails(map[string]any{"schemaVersion": schemaVersion})
	}
	id, err := uuid.Parse(strings.TrimSpace(spinCycleID))
	if err != nil {
		return Report{}, errs.E(errs.Invalid, "spinCycleId is not a UUID")
	}
	name := strings.TrimSpace(characterName)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxReportedNameRunes {
		return Report{}, errs.E(errs.Invalid, "characterName is missing or not a character name")
	}
	return Report{SpinCycleID: id.String(), CharacterName: name, Online: online}, nil
}

// Verdict is what a report asks for.
type Verdict int

const (
	// Repeat: the cycle already has the outcome this report implies; answer it again.
	Repeat Verdict = iota + 1
	// RecordOffline: complete the cycle as offline, no payout, no re-draw.
	RecordOffline
	// CreatePayout: the candidate is online; create the payout, then CompleteWinner.
	CreatePayout
)

// Judge decides a report for this cycle received at now. The cycle's own deadline
// counts, not the current boundary, so a report for an earlier cycle is still accepted
// after the next cycle drew. The name must match the candidate (full Unicode folding)
// whether the report says online or offline.
//
// Decisions: a report that repeats the recorded outcome (online after winner, offline
// after offline) is a Repeat even past the deadline; one that contradicts it (offline
// after winner, online after offline) is a conflict (409) and changes nothing; any
// report after no_report is out_of_sequence, as the deadline has passed.
func (c *Cycle) Judge(r Report, now time.Time) (Verdict, error) {
	if c.Candidate == nil {
		return 0, errs.E(errs.OutOfSequence, "cycle %s has no candidate", c.ID)
	}
	if !domain.SameName(r.CharacterName, c.Candidate.CharacterName) {
		return 0, errs.E(errs.Invalid, "characterName does not match the candidate of cycle %s", c.ID)
	}
	if c.State == StateCompleted {
		implied := Offline
		if r.Online {
			implied = Winner
		}
		switch c.Outcome {
		case implied:
			return Repeat, nil
		case NoReport:
			return 0, errs.E(errs.OutOfSequence, "cycle %s passed its verify deadline", c.ID)
		default:
			// A report contradicting the recorded outcome is out of sequence: the cycle
			// was decided by the first report (docs/product.md §6 names only 400 codes here).
			return 0, errs.E(errs.OutOfSequence, "cycle %s already completed with outcome %s", c.ID, c.Outcome).
				WithDetails(map[string]any{"spinCycleId": c.ID, "outcome": string(c.Outcome)})
		}
	}
	if c.State != StateAwaiting {
		return 0, errs.E(errs.OutOfSequence, "cycle %s is not awaiting a report", c.ID)
	}
	if now.After(c.Deadline) {
		return 0, errs.E(errs.OutOfSequence, "cycle %s passed its verify deadline %s", c.ID, c.Deadline.Format(time.RFC3339))
	}
	if r.Online {
		return CreatePayout, nil
	}
	return RecordOffline, nil
}

// CompleteOffline records an accepted offline report.
func (c *Cycle) CompleteOffline(at time.Time) error {
	if c.State != StateAwaiting {
		return fmt.Errorf("complete offline: cycle %s is %s", c.ID, c.State)
	}
	c.complete(Offline, "", at)
	return nil
}

// CompleteWinner records an accepted online report and the payout it created.
func (c *Cycle) CompleteWinner(payoutID string, at time.Time) error {
	if c.State != StateAwaiting {
		return fmt.Errorf("complete winner: cycle %s is %s", c.ID, c.State)
	}
	if payoutID == "" {
		return fmt.Errorf("complete winner: cycle %s: empty payout id", c.ID)
	}
	c.complete(Winner, payoutID, at)
	return nil
}
