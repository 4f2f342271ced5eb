// Package domain is the payout aggregate: its statuses and the transition table of
// docs/product.md §5, the events it is made of, and the rules for creating, moving,
// accepting and announcing a payout. It knows nothing of PostgreSQL or NATS.
package domain

import (
	"strings"
	"unicode/utf8"

	"github.com/mimiron/mgm/pkg/errs"
)

// Status is a payout's lifecycle state. The strings are the wire values.
type Status string

// Statuses (docs/product.md §5).
const (
	Pending    Status = "Pending"
	InProgress Status = "InProgress"
	Sent       Status = "Sent"
	Failed     Status = "Failed"
	Cancelled  Status = "Cancelled"
	Expired    Status = "Expired"
)

// Statuses is every status, in lifecycle order.
var Statuses = []Status{Pending, InProgress, Sent, Failed, Cancelled, Expired}

// ActiveStatuses are the statuses that hold the user's one active slot.
var ActiveStatuses = []Status{Pending, InProgress}

// ParseStatus reads a status string from a client. The names are matched ignoring
// ASCII case ("sent" is Sent, as the original's .NET enum converter read them); any
// other string, including numbers and non-ASCII look-alikes, is invalid_payload.
func ParseStatus(s string) (Status, error) {
	if s != "" && utf8.ValidString(s) && isASCII(s) {
		for _, st := range Statuses {
			if strings.EqualFold(s, string(st)) {
				return st, nil
			}
		}
	}
	return "", errs.E(errs.Invalid, "unknown payout status %q", s).
		WithDetails(map[string]any{"status": s, "allowed": Statuses})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Active reports whether s holds the user's active slot (Pending or InProgress).
func (s Status) Active() bool { return s == Pending || s == InProgress }

// Terminal reports whether s never changes again.
func (s Status) Terminal() bool {
	return s == Sent || s == Failed || s == Cancelled || s == Expired
}

// Actor is who asks for a status change.
type Actor int

const (
	// ByClient is the Desktop (PATCH /api/payouts/{id}/status).
	ByClient Actor = iota
	// BySweep is the backend's 24-hour expiry sweep, the only actor that may set Expired.
	BySweep
)

func (a Actor) String() string {
	if a == BySweep {
		return "sweep"
	}
	return "client"
}

// clientMoves is the transition table for the Desktop (docs/product.md §5). Expired is
// deliberately absent: only the sweep sets it.
var clientMoves = map[Status][]Status{
	Pending:    {InProgress, Cancelled, Failed},
	InProgress: {Sent, Cancelled, Failed, Pending},
}

// CheckTransition decides a status change from → to asked by actor:
//   - to == from: allowed and a no-op (a repeated request replays; no event), for
//     every status, terminal ones included;
//   - a terminal from: 409 terminal_status_change_not_allowed;
//   - Expired: only by the sweep and only from an active status; a client asking for
//     it gets 409 terminal_status_change_not_allowed (it is a forbidden transition);
//   - otherwise the client table above; anything else (e.g. Pending → Sent) is also
//     409 terminal_status_change_not_allowed, the one code docs/product.md §6 gives for a
//     forbidden transition.
//
// noop reports the replay case.
func CheckTransition(from, to Status, by Actor) (noop bool, err error) {
	if from == to {
		return true, nil
	}
	details := map[string]any{"from": from, "to": to}
	if from.Terminal() {
		return false, errs.E(errs.TerminalStatusChange, "payout is %s; terminal states never change", from).
			WithDetails(details)
	}
	if to == Expired {
		if by == BySweep {
			return false, nil
		}
		return false, errs.E(errs.TerminalStatusChange, "Expired is set only by the backend's 24-hour sweep").
			WithDetails(details)
	}
	if by == ByClient {
		for _, ok := range clientMoves[from] {
			if ok == to {
				return false, nil
			}
		}
	}
	return false, errs.E(errs.TerminalStatusChange, "%s → %s is not an allowed transition", from, to).
		WithDetails(details)
}
