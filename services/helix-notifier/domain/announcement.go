package domain

import (
	"time"

	"github.com/mimiron/mgm/pkg/errs"
)

// State is where a payout's reward announcement is. The strings are the stored and
// wire values.
type State string

// States of an announcement:
//
//	(none) ──Claim──► posting ──Posted──► posted
//	                    │  ▲
//	           Release  │  │ Claim
//	                    ▼  │
//	                  pending ──Fail / GiveUp──► failed ──Rearm──► pending
//	posting ──Fail (its claimer)──► failed
//	posting (claim older than StaleAfter) ──MarkUnknown──► unknown ──Rearm──► pending
//	unknown ──Posted (the late truth)──► posted
const (
	Pending State = "pending" // known, waiting for (another) attempt
	Posting State = "posting" // claimed by a notifier, Helix call in flight
	Posted  State = "posted"  // Helix answered is_sent: true
	Failed  State = "failed"  // given up: terminal drop, permanent error or retries spent
	Unknown State = "unknown" // a notifier stopped between Helix's answer and recording it
)

// Announcement is one payout's reward announcement: the at-most-once marker of its
// chat line and, when it failed, the record an operator replays. Every change goes
// through a method below; a method that refuses leaves the announcement as it was.
type Announcement struct {
	PayoutID      string
	CharacterName string
	Message       string // the chat line (Message(CharacterName))
	State         State
	ClaimedBy     string // the notifier holding the posting claim
	ClaimedAt     *time.Time
	Attempts      int // Helix calls claimed so far
	Replays       int // operator replays so far
	MessageID     string
	Reason        string
	PostedAt      *time.Time
	FailedAt      *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// NewAnnouncement is the record of a payout seen for the first time: pending, nothing
// tried yet.
func NewAnnouncement(payoutID, characterName string, now time.Time) *Announcement {
	return &Announcement{
		PayoutID: payoutID, CharacterName: characterName, Message: Message(characterName),
		State: Pending, CreatedAt: now, UpdatedAt: now,
	}
}

// Claim makes worker the one notifier that posts now. Only a pending announcement can
// be claimed, so of two deliveries (or replicas) racing, exactly one wins; it reports
// whether this one did.
func (a *Announcement) Claim(worker string, now time.Time) bool {
	if a.State != Pending {
		return false
	}
	a.State, a.ClaimedBy, a.ClaimedAt = Posting, worker, at(now)
	a.Attempts++
	a.UpdatedAt = now
	return true
}

// Posted records Helix's is_sent: true for worker's claim. It also overrides an unknown
// set meanwhile by another notifier: the truth arrived late, and it wins. Anything else
// is a conflict: worker no longer holds the claim.
func (a *Announcement) Posted(worker, messageID string, now time.Time) error {
	if (a.State != Posting && a.State != Unknown) || a.ClaimedBy != worker {
		return errs.E(errs.Conflict, "announcement %s is no longer claimed by this notifier", a.PayoutID)
	}
	a.State, a.MessageID, a.PostedAt = Posted, messageID, at(now)
	a.Reason, a.FailedAt = "", nil
	a.UpdatedAt = now
	return nil
}

// Release gives worker's claim back after an attempt that certainly did not post (or
// that is to be retried), so a later delivery can claim again. It reports whether the
// claim was worker's to give.
func (a *Announcement) Release(worker, reason string, now time.Time) bool {
	if a.State != Posting || a.ClaimedBy != worker {
		return false
	}
	a.State, a.ClaimedBy, a.Reason = Pending, "", reason
	a.UpdatedAt = now
	return true
}

// Fail records that the announcement was given up on, from worker's claim or from
// pending (a claim released on the last delivery). Anything else is a conflict:
// someone else settled it.
func (a *Announcement) Fail(worker, reason string, now time.Time) error {
	if a.State != Pending && (a.State != Posting || a.ClaimedBy != worker) {
		return errs.E(errs.Conflict, "announcement %s is not failable now", a.PayoutID)
	}
	a.fail(reason, now)
	return nil
}

// GiveUp fails an announcement nobody holds (new or pending): an event too old to
// announce, or a Helix that stayed down through the last delivery. It reports whether
// it changed anything; a posted, failed or claimed announcement is left alone.
func (a *Announcement) GiveUp(reason string, now time.Time) bool {
	if a.State != Pending {
		return false
	}
	a.fail(reason, now)
	return true
}

func (a *Announcement) fail(reason string, now time.Time) {
	a.State, a.ClaimedBy, a.Reason, a.FailedAt = Failed, "", reason, at(now)
	a.UpdatedAt = now
}

// Stale reports whether a posting claim was taken before cutoff: its notifier stopped
// mid-post, since a live one finishes within the post timeout.
func (a *Announcement) Stale(cutoff time.Time) bool {
	return a.State == Posting && a.ClaimedAt != nil && a.ClaimedAt.Before(cutoff)
}

// MarkUnknown turns a stale claim (claimed before cutoff) into unknown: whether the line
// reached chat cannot be known from here, and posting again could post it twice. It
// reports whether it changed anything.
func (a *Announcement) MarkUnknown(cutoff time.Time, reason string, now time.Time) bool {
	if !a.Stale(cutoff) {
		return false
	}
	a.State, a.Reason, a.FailedAt = Unknown, reason, at(now)
	a.UpdatedAt = now
	return true
}

// NeedsAttention reports whether an operator should look at the announcement: failed or
// unknown, a claim older than staleBefore (its notifier stopped) or pending untouched
// since staleBefore (stalled).
func (a *Announcement) NeedsAttention(staleBefore time.Time) bool {
	switch a.State {
	case Failed, Unknown:
		return true
	case Posting:
		return a.Stale(staleBefore)
	case Pending:
		return a.UpdatedAt.Before(staleBefore)
	}
	return false
}

// Reported is the announcement as the operator's list shows it: a stale claim is shown
// as unknown, which is what it is until a notifier marks it.
func (a Announcement) Reported(staleBefore time.Time) Announcement {
	if a.Stale(staleBefore) {
		a.State = Unknown
		a.Reason = "claimed but never completed: the notifier stopped while posting"
	}
	return a
}

// Rearm makes a failed, unknown, stalled-claim or pending announcement pending again
// for an operator's replay. A posted announcement and a live claim are conflicts:
// replaying them could post the line twice.
func (a *Announcement) Rearm(staleBefore time.Time, now time.Time) error {
	switch {
	case a.State == Failed || a.State == Unknown || a.State == Pending || a.Stale(staleBefore):
	default:
		return errs.E(errs.Conflict, "announcement %s is %s; nothing to replay", a.PayoutID, a.State)
	}
	a.State, a.ClaimedBy, a.Reason = Pending, "", "replay requested"
	a.Replays++
	a.UpdatedAt = now
	return nil
}

func at(t time.Time) *time.Time { return &t }
