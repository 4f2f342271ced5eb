package domain

import (
	"time"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

// Queue is one streamer's open (non-terminal) requests in creation order, and the
// changes a command made to them. Commands run while the store holds the streamer's
// lock, so the queue seen here is the whole truth.
type Queue struct {
	StreamerID string
	Open       []*Request
	changes    []Change
}

// Changes are the changes made since the queue was loaded, in order.
func (q *Queue) Changes() []Change { return q.changes }

// Active is the request being served, nil when none.
func (q *Queue) Active() *Request {
	for _, r := range q.Open {
		if r.Status.Active() {
			return r
		}
	}
	return nil
}

// Pending are the waiting requests, oldest first.
func (q *Queue) Pending() []*Request {
	var out []*Request
	for _, r := range q.Open {
		if r.Status == Pending {
			out = append(out, r)
		}
	}
	return out
}

// OpenOf is the viewer's open request, nil when none.
func (q *Queue) OpenOf(twitchUserID string) *Request {
	for _, r := range q.Open {
		if r.TwitchUserID == twitchUserID {
			return r
		}
	}
	return nil
}

// Position is r's place in the queue: 1 for the request being served (or the first
// to be served when none is), then one more per request ahead; 0 for a request that
// is not open.
func (q *Queue) Position(r *Request) int {
	if r == nil || r.Status.Terminal() {
		return 0
	}
	if r.Status.Active() {
		return 1
	}
	pos := 1
	if q.Active() != nil {
		pos++
	}
	for _, p := range q.Pending() {
		if p.ID == r.ID {
			return pos
		}
		pos++
	}
	return 0
}

// ETA is the estimated wait before a request at position is served:
// max(0, position − 1) × 65 s.
func ETA(position int) time.Duration {
	if position <= 1 {
		return 0
	}
	return time.Duration(position-1) * ETAStep
}

// NewRequest is a viewer's ask for a gift.
type NewRequest struct {
	ID                string
	TwitchUserID      string
	TwitchDisplayName string
	CharacterName     string // already validated
	Source            string
	RequestID         string
}

// Create adds a Pending request unless the viewer already received their gift
// (gift_already_used: usage is counted when a request completes) or has an open one
// (gift_request_exists), then promotes it if nothing is being served.
func (q *Queue) Create(n NewRequest, used bool, now time.Time) (*Request, error) {
	if n.TwitchUserID == "" || n.ID == "" {
		return nil, errs.E(errs.Invalid, "twitchUserId is required")
	}
	if used {
		return nil, errs.E(errs.GiftAlreadyUsed, "this viewer already received their gift")
	}
	if open := q.OpenOf(n.TwitchUserID); open != nil {
		return nil, errs.E(errs.GiftRequestActive, "this viewer already has a gift request in the queue").
			WithDetails(map[string]any{"requestId": open.ID, "status": open.Status})
	}
	r := &Request{
		ID:                n.ID,
		StreamerID:        q.StreamerID,
		TwitchUserID:      n.TwitchUserID,
		TwitchDisplayName: n.TwitchDisplayName,
		CharacterName:     n.CharacterName,
		Source:            n.Source,
		RequestID:         n.RequestID,
		Status:            Pending,
		CreatedAt:         now,
	}
	q.Open = append(q.Open, r)
	q.record(r, "", now)
	q.Promote(now)
	return r, nil
}

// Promote starts serving the oldest pending request when none is served; it reports
// the promoted request (nil when none was).
func (q *Queue) Promote(now time.Time) *Request {
	if q.Active() != nil {
		return nil
	}
	pending := q.Pending()
	if len(pending) == 0 {
		return nil
	}
	r := pending[0]
	r.Status = SelectingItem
	r.PromotedAt = at(now)
	r.DeadlineAt = at(now.Add(SelectionTimeout))
	q.record(r, Pending, now)
	return r
}

// Sweep fails the served request when its deadline has passed (selection_timeout or
// confirmation_timeout) and promotes the next one. It reports the failed request.
func (q *Queue) Sweep(now time.Time) *Request {
	r := q.Active()
	if r == nil || r.DeadlineAt == nil || now.Before(*r.DeadlineAt) {
		q.Promote(now)
		return nil
	}
	reason := shared.GiftReasonSelectionTimeout
	if r.Status == WaitingConfirmation {
		reason = shared.GiftReasonConfirmationTimeout
	}
	q.fail(r, reason, now)
	q.Promote(now)
	return r
}

// SetStatus is the Desktop's PATCH {status, reason?}. Allowed: Pending|SelectingItem →
// Failed, WaitingConfirmation → Completed|Failed; into the current status is a
// successful no-op. From a terminal status: 409 terminal_status_change_not_allowed;
// any other move (promotion is the backend's, WaitingConfirmation needs select-item):
// 409 invalid_status_transition. Both carry details {from, to}.
func (q *Queue) SetStatus(r *Request, to Status, reason string, now time.Time) error {
	if r.Status == to {
		return nil
	}
	details := map[string]any{"from": r.Status, "to": to}
	if r.Status.Terminal() {
		return errs.E(errs.TerminalStatusChange, "gift request is %s; terminal states never change", r.Status).WithDetails(details)
	}
	switch {
	case to == Failed:
		if reason == "" {
			reason = shared.GiftReasonFailedByStreamer
		}
		q.fail(r, reason, now)
	case to == Completed && r.Status == WaitingConfirmation:
		r.Status = Completed
		r.CompletedAt = at(now)
		r.DeadlineAt = nil
		q.record(r, WaitingConfirmation, now)
	default:
		msg := "%s → %s is not an allowed transition"
		if to == WaitingConfirmation {
			msg += " (select an item with select-item)"
		}
		return errs.E(errs.InvalidTransition, msg, r.Status, to).WithDetails(details)
	}
	q.Promote(now)
	return nil
}

// MaxItems bounds an item list; a bag holds far fewer distinct items.
const MaxItems = 500

// maxItemName bounds an item's name (WoW names are short; the addon may shorten them).
const maxItemName = 100

// CheckItems validates an [MGM_ITEMS] list.
func CheckItems(items []Item) error {
	if len(items) > MaxItems {
		return errs.E(errs.Invalid, "at most %d items", MaxItems).WithDetails(map[string]any{"field": "items"})
	}
	for i, it := range items {
		if it.ItemID <= 0 || it.Count < 1 || len(it.Name) > maxItemName {
			return errs.E(errs.Invalid, "item %d needs a positive itemId, a count of at least 1 and a name of at most %d bytes", i, maxItemName).
				WithDetails(map[string]any{"field": "items", "index": i})
		}
	}
	return nil
}

// OfferItems records the items the addon listed for the served request. An empty list
// fails it (no_items) and serves the next. A list arriving after an item was chosen is
// stale and changes nothing; one for a request that is not being served is 409.
func (q *Queue) OfferItems(r *Request, items []Item, now time.Time) error {
	if err := CheckItems(items); err != nil {
		return err
	}
	switch r.Status {
	case SelectingItem:
		if len(items) == 0 {
			q.fail(r, shared.GiftReasonNoItems, now)
			q.Promote(now)
			return nil
		}
		if sameItems(r.OfferedItems, items) {
			return nil
		}
		r.OfferedItems = append([]Item(nil), items...)
		q.record(r, SelectingItem, now)
		return nil
	case WaitingConfirmation, Completed:
		return nil
	case Failed:
		if len(items) == 0 && r.Reason == shared.GiftReasonNoItems {
			return nil
		}
		return errs.E(errs.TerminalStatusChange, "gift request is Failed").
			WithDetails(map[string]any{"from": r.Status, "reason": r.Reason})
	default:
		return errs.E(errs.InvalidTransition, "gift request is %s; items are listed only while selecting", r.Status).
			WithDetails(map[string]any{"from": r.Status})
	}
}

// Selection is the Desktop's choice of item.
type Selection struct {
	ItemID   int64
	ItemName string
	Count    int
}

// SelectItem moves the served request to WaitingConfirmation with the chosen item; its
// consent clock (5 min) starts. When the addon listed items, the item must be one of
// them and the count at most what the bags hold; the name defaults to the listed one.
// Repeating the same choice is a no-op; a different item once chosen is 409.
func (q *Queue) SelectItem(r *Request, s Selection, now time.Time) error {
	if s.ItemID <= 0 {
		return errs.E(errs.Invalid, "itemId must be a positive item id").WithDetails(map[string]any{"field": "itemId"})
	}
	if s.Count < 0 || len(s.ItemName) > maxItemName {
		return errs.E(errs.Invalid, "count must be at least 1 and itemName at most %d bytes", maxItemName).
			WithDetails(map[string]any{"field": "count"})
	}
	if s.Count == 0 {
		s.Count = 1
	}
	details := map[string]any{"from": r.Status, "to": WaitingConfirmation}
	switch r.Status {
	case SelectingItem:
	case WaitingConfirmation, Completed:
		if r.ItemID != nil && *r.ItemID == s.ItemID {
			return nil
		}
		details["itemId"] = r.ItemID
		if r.Status == Completed {
			return errs.E(errs.TerminalStatusChange, "gift request is Completed with another item").WithDetails(details)
		}
		return errs.E(errs.InvalidTransition, "another item was already selected").WithDetails(details)
	case Failed:
		return errs.E(errs.TerminalStatusChange, "gift request is Failed; terminal states never change").WithDetails(details)
	default:
		return errs.E(errs.InvalidTransition, "gift request is %s; an item is selected only while it is served", r.Status).WithDetails(details)
	}
	if len(r.OfferedItems) > 0 {
		offered, ok := findItem(r.OfferedItems, s.ItemID)
		if !ok {
			return errs.E(errs.Invalid, "item %d is not among the listed items", s.ItemID).WithDetails(map[string]any{"field": "itemId"})
		}
		if s.Count > offered.Count {
			return errs.E(errs.Invalid, "only %d of item %d are in the bags", offered.Count, s.ItemID).WithDetails(map[string]any{"field": "count"})
		}
		if s.ItemName == "" {
			s.ItemName = offered.Name
		}
	}
	id := s.ItemID
	r.ItemID = &id
	r.ItemName = s.ItemName
	r.ItemCount = s.Count
	r.Status = WaitingConfirmation
	r.SelectedAt = at(now)
	r.DeadlineAt = at(now.Add(ConfirmationTimeout))
	q.record(r, SelectingItem, now)
	return nil
}

// Confirm records the recipient's answer to the consent whisper. Accepted records
// acceptedAt and stops the consent clock: the request then waits for the item mail
// (PATCH Completed on [MGM_GIFT_SENT]) without a backend timeout, because the mail is
// already queued in the addon and failing the request would misreport a gift that is
// then sent. A repeat, or an acceptance arriving after Completed, is a no-op; after
// Failed it is 409. Declined fails the request (declined) and serves the next.
func (q *Queue) Confirm(r *Request, accepted bool, now time.Time) error {
	details := map[string]any{"from": r.Status, "reason": r.Reason}
	switch r.Status {
	case WaitingConfirmation:
		if !accepted {
			q.fail(r, shared.GiftReasonDeclined, now)
			q.Promote(now)
			return nil
		}
		if r.AcceptedAt != nil {
			return nil
		}
		r.AcceptedAt = at(now)
		r.DeadlineAt = nil
		q.record(r, WaitingConfirmation, now)
		return nil
	case Completed:
		if accepted {
			return nil
		}
		return errs.E(errs.TerminalStatusChange, "gift request is Completed; it can no longer be declined").WithDetails(details)
	case Failed:
		if !accepted && r.Reason == shared.GiftReasonDeclined {
			return nil
		}
		return errs.E(errs.TerminalStatusChange, "gift request is Failed; terminal states never change").WithDetails(details)
	default:
		return errs.E(errs.InvalidTransition, "gift request is %s; consent is asked only after an item is selected", r.Status).WithDetails(details)
	}
}

func (q *Queue) fail(r *Request, reason string, now time.Time) {
	from := r.Status
	r.Status = Failed
	r.Reason = reason
	r.FailedAt = at(now)
	r.DeadlineAt = nil
	q.record(r, from, now)
}

// record bumps r's version and remembers the change; a request that became terminal
// leaves the open list.
func (q *Queue) record(r *Request, from Status, now time.Time) {
	r.UpdatedAt = now
	r.Version++
	q.changes = append(q.changes, Change{After: r.clone(), From: from, To: r.Status})
	if r.Status.Terminal() {
		for i, o := range q.Open {
			if o == r {
				q.Open = append(q.Open[:i], q.Open[i+1:]...)
				break
			}
		}
	}
}

func (r *Request) clone() Request {
	c := *r
	c.OfferedItems = append([]Item(nil), r.OfferedItems...)
	if r.ItemID != nil {
		id := *r.ItemID
		c.ItemID = &id
	}
	return c
}

func at(t time.Time) *time.Time { return &t }

func sameItems(a, b []Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func findItem(items []Item, id int64) (Item, bool) {
	for _, it := range items {
		if it.ItemID == id {
			return it, true
		}
	}
	return Item{}, false
}
