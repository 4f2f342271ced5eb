package domain

import (
	"fmt"
	"time"

	shared "github.com/mimiron/mgm/pkg/domain"
)

// Stats are the pool's counters; Version grows with every committed change, so a
// stale writer of the stats document never overwrites a newer one.
type Stats struct {
	Version       int64
	PoolSize      int64
	EligibleCount int64
	UpdatedAt     time.Time
}

// EventKind names an event the pool raises.
type EventKind string

// The pool's events.
const (
	EventEnrolled EventKind = "enrolled"
	EventRenamed  EventKind = "renamed"
	EventRemoved  EventKind = "removed"
)

// Event is a change of the pool as the other services learn it: the member, and the
// pool's size and eligible count right after the change. ID is the event's stable id
// (a retried change raises the same one).
type Event struct {
	ID            string
	Kind          EventKind
	At            time.Time
	Member        Member
	OldName       string // renamed only
	Reason        string // removed only: ReasonSent
	PoolSize      int64
	EligibleCount int64
}

// Write is one change the repository must store, in the order the roster decided it:
// a name freed by a rename is free for a later enrollment of the same batch.
type Write interface{ write() }

// The writes a roster records.
type (
	// MemberAdded: the viewer joined under Member; Slot is their draw slot, nil when
	// not eligible.
	MemberAdded struct {
		Member Member
		Slot   *int64
		At     time.Time
	}
	// MemberRenamed: the viewer's row takes Member's name and display name.
	MemberRenamed struct {
		Member Member
		At     time.Time
	}
	// DisplayNameChanged: the member's Twitch display name changed.
	DisplayNameChanged struct{ TwitchUserID, DisplayName string }
	// MemberRemoved: the viewer left the pool.
	MemberRemoved struct{ TwitchUserID string }
	// SlotAssigned gives the member a draw slot; SlotCleared takes it away.
	SlotAssigned struct {
		TwitchUserID string
		Slot         int64
	}
	SlotCleared struct{ TwitchUserID string }
	// SlotMoved moves the member at slot From to slot To (the last slot filling a hole).
	SlotMoved struct{ From, To int64 }
	// ViewerFactsChanged: the viewer's eligibility inputs after a payout event.
	ViewerFactsChanged struct{ Viewer Viewer }
)

func (MemberAdded) write()        {}
func (MemberRenamed) write()      {}
func (DisplayNameChanged) write() {}
func (MemberRemoved) write()      {}
func (SlotAssigned) write()       {}
func (SlotCleared) write()        {}
func (SlotMoved) write()          {}
func (ViewerFactsChanged) write() {}

// Roster is the part of the pool one transaction changes: the counters, and the
// members and viewers the changes touch, as the repository loaded them under the
// writers' lock. Its methods apply the rules — who may join, renames, draw slots, the
// counters, which events to raise — and record, in order, the writes and the events
// the repository then commits together.
//
// Draw slots number the eligible members densely 0..EligibleCount-1, so a uniform draw
// is one random number and one index lookup at any pool size: a member who becomes
// eligible takes the next slot, one who stops being eligible leaves a hole that the
// last slot fills.
type Roster struct {
	stats   Stats
	members map[string]*slotted // by Twitch user id
	names   map[string]string   // folded name → Twitch user id
	viewers map[string]*Viewer
	writes  []Write
	events  []Event
	changed bool
}

type slotted struct {
	Member
	slot *int64
}

// NewRoster starts a roster from the locked counters.
func NewRoster(stats Stats) *Roster {
	return &Roster{stats: stats, members: map[string]*slotted{}, names: map[string]string{}, viewers: map[string]*Viewer{}}
}

// LoadMember adds a member as stored, with its draw slot (nil when not eligible).
func (r *Roster) LoadMember(m Member, slot *int64) {
	r.members[m.TwitchUserID] = &slotted{Member: m, slot: slot}
	r.names[m.Folded()] = m.TwitchUserID
}

// LoadViewer adds a viewer's eligibility inputs as stored.
func (r *Roster) LoadViewer(v Viewer) {
	r.viewers[v.TwitchUserID] = &v
}

// Stats are the counters after the recorded changes (the version moves when the
// repository saves a changed roster).
func (r *Roster) Stats() Stats { return r.stats }

// Changed reports whether the counters' version must move: something about membership
// or eligibility changed.
func (r *Roster) Changed() bool { return r.changed }

// Writes are the changes to store, in order.
func (r *Roster) Writes() []Write { return r.writes }

// Events are the events raised, in order.
func (r *Roster) Events() []Event { return r.events }

// Enroll applies one enrollment (docs/product.md §3): a new viewer joins (with a draw
// slot when eligible), a member with a new name is renamed and the old name freed, the
// same name again changes nothing but a new display name; a name held by another
// viewer is refused with character_name_taken_in_pool and changes nothing. eventID
// prefixes the ids of the events it raises.
func (r *Roster) Enroll(want Member, eventID string, at time.Time) (Change, error) {
	var current, holder *Member
	if m := r.members[want.TwitchUserID]; m != nil {
		current = &m.Member
	}
	if id, ok := r.names[want.Folded()]; ok {
		holder = &r.members[id].Member
	}
	change, err := Enroll(current, holder, want)
	if err != nil {
		return Change{}, err
	}
	switch change.Kind {
	case Unchanged:
		if want.DisplayName != "" && current.DisplayName != want.DisplayName {
			r.members[want.TwitchUserID].DisplayName = want.DisplayName
			r.writes = append(r.writes, DisplayNameChanged{TwitchUserID: want.TwitchUserID, DisplayName: want.DisplayName})
		}
	case Enrolled:
		var slot *int64
		if v := r.viewers[want.TwitchUserID]; v != nil && Eligible(true, *v) {
			n := r.stats.EligibleCount
			slot = &n
			r.stats.EligibleCount++
		}
		r.stats.PoolSize++
		r.changed = true
		r.LoadMember(want, slot)
		r.writes = append(r.writes, MemberAdded{Member: want, Slot: slot, At: at})
		r.raise(eventID+":enrolled", EventEnrolled, at, want, "", "")
	case Renamed:
		m := r.members[want.TwitchUserID]
		delete(r.names, m.Folded())
		m.Member = want
		r.names[want.Folded()] = want.TwitchUserID
		r.changed = true
		r.writes = append(r.writes, MemberRenamed{Member: want, At: at})
		r.raise(eventID+":renamed", EventRenamed, at, want, change.OldName, "")
	default:
		return Change{}, fmt.Errorf("unknown enrollment change %q", change.Kind)
	}
	return change, nil
}

// PayoutFact is a payout event as the pool folds it in.
type PayoutFact struct {
	EventID          string
	PayoutID         string
	TwitchUserID     string
	DisplayName      string
	CharacterName    string
	Status           string
	Version          int64
	LifetimeSentGold int64
	At               time.Time
}

// ApplyPayout folds a newer payout fact into its owner's eligibility: the lifetime
// total is the largest seen (it never decreases), activePayoutID is the owner's
// active payout after the fact ("" when none), a Sent payout removes the member from
// the pool (docs/product.md §1), and otherwise the member's draw slot follows
// eligibility. It returns the member Sent removed, if any. The owner's viewer must be
// loaded.
func (r *Roster) ApplyPayout(f PayoutFact, activePayoutID string) *Member {
	v := r.viewers[f.TwitchUserID]
	if v == nil {
		v = &Viewer{TwitchUserID: f.TwitchUserID, DisplayName: f.DisplayName}
		r.viewers[f.TwitchUserID] = v
	}
	v.LifetimeSentGold = max(v.LifetimeSentGold, f.LifetimeSentGold)
	v.ActivePayoutID = activePayoutID
	r.writes = append(r.writes, ViewerFactsChanged{Viewer: *v})
	r.changed = true // the viewer's facts changed: the stats version moves too
	m := r.members[f.TwitchUserID]
	if f.Status == shared.PayoutSent && m != nil {
		r.remove(m)
		r.raise("pool:payout:"+f.PayoutID+":removed", EventRemoved, f.At, m.Member, "", ReasonSent)
		return &m.Member
	}
	if m != nil {
		r.follow(m, Eligible(true, *v))
	}
	return nil
}

// remove takes a member out of the pool, freeing its name and its slot.
func (r *Roster) remove(m *slotted) {
	r.writes = append(r.writes, MemberRemoved{TwitchUserID: m.TwitchUserID})
	delete(r.members, m.TwitchUserID)
	delete(r.names, m.Folded())
	r.stats.PoolSize--
	if m.slot != nil {
		r.freeSlot(*m.slot)
	}
	r.changed = true
}

// follow gives the member a slot when eligible and takes it away when not.
func (r *Roster) follow(m *slotted, eligible bool) {
	switch {
	case eligible && m.slot == nil:
		n := r.stats.EligibleCount
		m.slot = &n
		r.stats.EligibleCount++
		r.writes = append(r.writes, SlotAssigned{TwitchUserID: m.TwitchUserID, Slot: n})
	case !eligible && m.slot != nil:
		hole := *m.slot
		m.slot = nil
		r.writes = append(r.writes, SlotCleared{TwitchUserID: m.TwitchUserID})
		r.freeSlot(hole)
	}
}

// freeSlot fills the hole at slot with the last slot (swap-remove) and shrinks the
// count.
func (r *Roster) freeSlot(hole int64) {
	last := r.stats.EligibleCount - 1
	if hole != last {
		r.writes = append(r.writes, SlotMoved{From: last, To: hole})
		for _, m := range r.members {
			if m.slot != nil && *m.slot == last {
				n := hole
				m.slot = &n
			}
		}
	}
	r.stats.EligibleCount--
}

func (r *Roster) raise(id string, kind EventKind, at time.Time, m Member, oldName, reason string) {
	r.events = append(r.events, Event{
		ID: id, Kind: kind, At: at, Member: m, OldName: oldName, Reason: reason,
		PoolSize: r.stats.PoolSize, EligibleCount: r.stats.EligibleCount,
	})
}
