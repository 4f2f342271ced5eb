package domain

import (
	"fmt"
	"time"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

// ExpiryAge is how old an active payout may grow before the sweep expires it.
const ExpiryAge = shared.PayoutExpiryHours * time.Hour

// Payout is the aggregate. Its state is the fold of its events (Apply); commands
// check the rules, raise at most one event and apply it, and the store appends the
// raised events (Changes) and updates the read model in one transaction.
type Payout struct {
	ID                string
	TwitchUserID      string
	TwitchDisplayName string
	CharacterName     string
	GoldAmount        int64
	SpinCycleID       string
	Status            Status
	CreatedAt         time.Time
	UpdatedAt         time.Time
	AcceptedAt        *time.Time
	Announced         bool // isRewardSentAnnouncedToChat
	Version           int64

	changes []Event
}

// Holder is what the rules need to know about the winner's other payouts.
type Holder struct {
	TwitchUserID     string
	LifetimeSentGold int64
	ActivePayoutID   string // "" when the user has no Pending/InProgress payout
	// LastEndedPayoutID is the user's payout that left the active statuses last (moved
	// to a terminal status), "" when none did; LastEndedAt is when it did.
	LastEndedPayoutID string
	LastEndedAt       time.Time
	// LastSentPayoutID is the user's payout that became Sent last, "" when none did;
	// LastSentAt is when it did.
	LastSentPayoutID string
	LastSentAt       time.Time
}

// NewPayout is the request to open a payout for a spin cycle's winner.
type NewPayout struct {
	SpinCycleID       string
	TwitchUserID      string
	TwitchDisplayName string
	CharacterName     string
	// DrawnAt is when the cycle drew the winner as its candidate. Zero when the caller
	// does not say (a roulette older than the rule): then only the active payout counts.
	DrawnAt time.Time
	// EnrolledAt is when the winner's pool membership began, as the pool answered the
	// draw. Zero when the caller does not say.
	EnrolledAt time.Time
}

// Create decides a creation request. existing is the payout already created for the
// same spin cycle, if any: the request is then a replay and existing is returned
// unchanged (created == false). Otherwise the user must have no active payout
// (active_payout_exists), must not have held one at any moment since the cycle drew
// them (HeldSinceDraw) nor been paid since their enrollment (PaidSinceEnrollment), and must have room under the lifetime cap for one more win: with
// 1,000 g per win and a 10,000 g cap, ten Sent payouts are allowed and the eleventh
// win is refused (lifetime_cap_reached).
func Create(existing *Payout, h Holder, id string, req NewPayout, now time.Time) (p *Payout, created bool, err error) {
	if req.SpinCycleID == "" || req.TwitchUserID == "" {
		return nil, false, errs.E(errs.Invalid, "spinCycleId and twitchUserId are required")
	}
	if existing != nil {
		if existing.TwitchUserID != req.TwitchUserID {
			return nil, false, errs.E(errs.Conflict, "spin cycle %s already has a payout for another user", req.SpinCycleID).
				WithDetails(map[string]any{"spinCycleId": req.SpinCycleID, "payoutId": existing.ID})
		}
		return existing, false, nil
	}
	name, err := shared.ParseCharacterName(req.CharacterName)
	if err != nil {
		return nil, false, err
	}
	if h.ActivePayoutID != "" {
		return nil, false, errs.E(errs.ActivePayoutExists, "the winner already has an active payout").
			WithDetails(map[string]any{"payoutId": h.ActivePayoutID})
	}
	if err := HeldSinceDraw(h, req.DrawnAt); err != nil {
		return nil, false, err
	}
	if err := PaidSinceEnrollment(h, req.EnrolledAt); err != nil {
		return nil, false, err
	}
	if h.LifetimeSentGold+shared.PayoutGold > shared.LifetimeCapGold {
		return nil, false, errs.E(errs.LifetimeCapReached, "the winner has reached the lifetime cap of %d g", shared.LifetimeCapGold).
			WithDetails(map[string]any{"lifetimeSentGold": h.LifetimeSentGold, "lifetimeCapGold": shared.LifetimeCapGold})
	}
	p = &Payout{ID: id}
	p.raise(now, Created{
		TwitchUserID:      req.TwitchUserID,
		TwitchDisplayName: req.TwitchDisplayName,
		CharacterName:     name.String(),
		GoldAmount:        shared.PayoutGold,
		SpinCycleID:       req.SpinCycleID,
	})
	return p, true, nil
}

// HeldSinceDraw refuses a win (active_payout_exists) when the winner's last payout to
// end was still active at or after the instant the cycle drew them. Either they had an
// active payout when drawn, so they were not eligible (docs/product.md §2), or they won
// another cycle since: with short spins a late report for cycle N may create, and the
// streamer may mail and mark Sent, the payout of a viewer whom cycle N+1 had already
// drawn again; N+1's report must not pay the same enrollment a second time (the Sent
// payout took them out of the pool). Nothing is lost: the viewer was paid by the other
// payout, or, when it was cancelled, stays in the pool for the next draws.
func HeldSinceDraw(h Holder, drawnAt time.Time) error {
	if drawnAt.IsZero() || h.LastEndedPayoutID == "" || h.LastEndedAt.Before(drawnAt) {
		return nil
	}
	return errs.E(errs.ActivePayoutExists, "the winner has held an active payout since this cycle drew them").
		WithDetails(map[string]any{"payoutId": h.LastEndedPayoutID,
			"endedAt": h.LastEndedAt.UTC(), "drawnAt": drawnAt.UTC()})
}

// PaidSinceEnrollment refuses a win (active_payout_exists) when a payout of the winner
// became Sent at or after the membership they were drawn from began. Sent takes the
// winner out of the pool (docs/product.md §1, step 7); a pool that has not yet applied
// that event (its consumer lags, or it is restarting) may still draw them, and the
// enrollment the Sent payout already paid must not pay again. A new enrollment after the
// Sent starts a new membership and may win.
func PaidSinceEnrollment(h Holder, enrolledAt time.Time) error {
	if enrolledAt.IsZero() || h.LastSentPayoutID == "" || h.LastSentAt.Before(enrolledAt) {
		return nil
	}
	return errs.E(errs.ActivePayoutExists, "the winner was paid since they enrolled; Sent took them out of the pool").
		WithDetails(map[string]any{"payoutId": h.LastSentPayoutID,
			"sentAt": h.LastSentAt.UTC(), "enrolledAt": enrolledAt.UTC()})
}

// ChangeStatus moves the payout to `to` when the transition table allows it for by.
// Moving into the current status is a successful no-op (no event).
func (p *Payout) ChangeStatus(to Status, by Actor, now time.Time) error {
	noop, err := CheckTransition(p.Status, to, by)
	if err != nil || noop {
		return err
	}
	p.raise(now, StatusChanged{From: p.Status, To: to, By: by.String()})
	return nil
}

// Due reports whether an active payout is old enough to expire at now: created more
// than 24 hours before (the seed's "CreatedAt < now - 24h"; exactly 24 h is not yet due).
func (p *Payout) Due(now time.Time) bool {
	return p.Status.Active() && p.CreatedAt.Before(now.Add(-ExpiryAge))
}

// Expire is the sweep's command: an active payout older than 24 hours becomes Expired.
// It reports whether it did; anything else (already terminal, not yet due) is left alone.
func (p *Payout) Expire(now time.Time) bool {
	if !p.Due(now) {
		return false
	}
	return p.ChangeStatus(Expired, BySweep, now) == nil
}

// Accept records the winner's consent (confirm-acceptance). The name must be the
// payout's character, compared with full Unicode case folding; otherwise 400
// character_name_mismatch. A repeat (already accepted, same name) succeeds and keeps
// the original acceptedAt — even after the payout went terminal, so a Desktop that
// retries a tag it already delivered is not told it failed. A first acceptance on a
// terminal payout is 409 terminal_status_change_not_allowed. It never changes the status.
func (p *Payout) Accept(characterName string, now time.Time) error {
	if characterName == "" {
		return errs.E(errs.Invalid, "characterName is required")
	}
	same := shared.SameName(characterName, p.CharacterName)
	if same && p.AcceptedAt != nil {
		return nil
	}
	if p.Status.Terminal() {
		return errs.E(errs.TerminalStatusChange, "payout is %s; it can no longer be accepted", p.Status).
			WithDetails(map[string]any{"status": p.Status})
	}
	if !same {
		return errs.E(errs.CharacterNameMismatch, "character name does not match the payout's").
			WithDetails(map[string]any{"characterName": characterName})
	}
	p.raise(now, Accepted{CharacterName: characterName})
	return nil
}

// MarkAnnounced records that the reward line was posted in chat; idempotent.
func (p *Payout) MarkAnnounced(messageID string, now time.Time) {
	if p.Announced {
		return
	}
	p.raise(now, Announced{MessageID: messageID})
}

// Changes are the events raised since the payout was loaded, in version order.
func (p *Payout) Changes() []Event { return p.changes }

// ClearChanges forgets raised events once the store appended them.
func (p *Payout) ClearChanges() { p.changes = nil }

func (p *Payout) raise(now time.Time, d EventData) {
	e := Event{PayoutID: p.ID, Version: p.Version + 1, OccurredAt: now, Data: d}
	p.Apply(e)
	p.changes = append(p.changes, e)
}

// Apply folds one event into the payout.
func (p *Payout) Apply(e Event) {
	switch d := e.Data.(type) {
	case Created:
		p.ID = e.PayoutID
		p.TwitchUserID = d.TwitchUserID
		p.TwitchDisplayName = d.TwitchDisplayName
		p.CharacterName = d.CharacterName
		p.GoldAmount = d.GoldAmount
		p.SpinCycleID = d.SpinCycleID
		p.Status = Pending
		p.CreatedAt = e.OccurredAt
	case StatusChanged:
		p.Status = d.To
	case Accepted:
		at := e.OccurredAt
		p.AcceptedAt = &at
	case Announced:
		p.Announced = true
	}
	p.UpdatedAt = e.OccurredAt
	p.Version = e.Version
}

// Rebuild folds a payout's history (in version order) into the aggregate, checking
// that versions are contiguous from 1.
func Rebuild(history []Event) (*Payout, error) {
	if len(history) == 0 {
		return nil, errs.E(errs.NotFound, "payout not found")
	}
	p := &Payout{}
	for i, e := range history {
		if e.Version != int64(i+1) {
			return nil, fmt.Errorf("payout %s: event version %d at position %d", e.PayoutID, e.Version, i+1)
		}
		p.Apply(e)
	}
	return p, nil
}

// SentGoldDelta is how much e adds to the owner's lifetime Sent gold: the payout's
// amount when e moves it to Sent, else 0. Sent is terminal, so it is counted once.
func SentGoldDelta(p *Payout, e Event) int64 {
	if d, ok := e.Data.(StatusChanged); ok && d.To == Sent {
		return p.GoldAmount
	}
	return 0
}

// Recorded is an event as the store holds it: with its id, the payout as it was right
// after it, and the owner's lifetime Sent gold after it. The relay publishes this.
type Recorded struct {
	Event            Event
	After            Payout
	LifetimeSentGold int64
}
