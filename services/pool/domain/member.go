// Package domain holds the pool's rules: who may enroll from chat, how an enrollment
// changes a viewer's membership, and who is eligible to be drawn. It knows nothing of
// PostgreSQL or NATS.
package domain

import (
	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

// Gold rules the eligibility check uses (docs/product.md §2).
const (
	PayoutGold      = shared.PayoutGold
	LifetimeCapGold = shared.LifetimeCapGold
)

// ReasonSent is the removal reason when a payout to the member was sent.
const ReasonSent = "sent"

// Viewer is what the pool knows about a Twitch user apart from membership: the inputs of
// eligibility. It survives leaving the pool.
type Viewer struct {
	TwitchUserID     string
	DisplayName      string
	ActivePayoutID   string // "" when none
	LifetimeSentGold int64
}

// MayWin reports whether the viewer could receive another payout now: no active payout
// and one more payout stays within the lifetime cap.
func (v Viewer) MayWin() bool {
	return v.ActivePayoutID == "" && v.LifetimeSentGold+PayoutGold <= LifetimeCapGold
}

// Eligible is the draw rule: in the pool, no active payout, below the lifetime cap.
func Eligible(inPool bool, v Viewer) bool { return inPool && v.MayWin() }

// Member is a viewer in the pool under a character name.
type Member struct {
	TwitchUserID  string
	DisplayName   string
	CharacterName string
}

// Folded is the member's name comparison key.
func (m Member) Folded() string { return shared.FoldName(m.CharacterName) }

// ChangeKind is what an enrollment did to the pool.
type ChangeKind string

// Enrollment outcomes.
const (
	Enrolled  ChangeKind = "enrolled"  // joined the pool
	Renamed   ChangeKind = "renamed"   // same viewer, new name: old name freed
	Unchanged ChangeKind = "unchanged" // same viewer, same name as typed
)

// Change is the decided effect of an enrollment.
type Change struct {
	Kind    ChangeKind
	Member  Member
	OldName string // Renamed only
}

// Enroll decides what enrolling want does, given the viewer's current membership
// (nil when not in the pool) and the member currently holding want's folded name (nil
// when free). A name held by another viewer is refused with character_name_taken_in_pool.
func Enroll(current, holder *Member, want Member) (Change, error) {
	if holder != nil && holder.TwitchUserID != want.TwitchUserID {
		return Change{}, errs.E(errs.CharacterNameTaken, "character name %s is already in the pool", want.CharacterName).
			WithDetails(map[string]any{"characterName": want.CharacterName})
	}
	switch {
	case current == nil:
		return Change{Kind: Enrolled, Member: want}, nil
	case current.CharacterName == want.CharacterName:
		return Change{Kind: Unchanged, Member: want}, nil
	default:
		// A different spelling of the same folded name is a rename too: the pool keeps the
		// name exactly as last typed, which is what the Desktop types into /who and mail.
		return Change{Kind: Renamed, Member: want, OldName: current.CharacterName}, nil
	}
}
