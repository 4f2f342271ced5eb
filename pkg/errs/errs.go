// Package errs is the one error vocabulary of Mimiron's Gold-o-Matic: a small set of
// generic codes plus the product's API codes, each mapped once to an HTTP status here.
// The gateway turns an *Error into the JSON error body; the NATS helpers carry it in
// reply headers. Nothing else decides a status.
package errs

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Code is a stable, documented error code ("not_found", "active_payout_exists", …).
type Code string

// Generic codes.
const (
	Invalid      Code = "invalid_payload"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	RateLimited  Code = "rate_limited"
	Unavailable  Code = "unavailable"
	Internal     Code = "internal"
	// MethodNotAllowed answers a known path asked with the wrong method (only routers
	// produce it).
	MethodNotAllowed Code = "method_not_allowed"
)

// Product codes (docs/product.md §2, §3, §5, §6).
const (
	ForbiddenAPIKey          Code = "forbidden_apikey"
	InvalidCharacterName     Code = "invalid_character_name"
	CharacterNameTaken       Code = "character_name_taken_in_pool"
	DuplicateEnrollment      Code = "duplicate_enrollment"
	NotSubscriber            Code = "not_subscriber"
	ActivePayoutExists       Code = "active_payout_exists"
	LifetimeCapReached       Code = "lifetime_cap_reached"
	TerminalStatusChange     Code = "terminal_status_change_not_allowed"
	InvalidTransition        Code = "invalid_status_transition"
	OutOfSequence            Code = "out_of_sequence"
	PoolEmpty                Code = "pool_empty"
	CharacterNameMismatch    Code = "character_name_mismatch"
	GiftAlreadyUsed          Code = "gift_already_used"
	GiftRequestActive        Code = "gift_request_exists"
	InvalidSignature         Code = "invalid_signature"
	StaleMessage             Code = "stale_message"
	IdentityNotShared        Code = "identity_not_shared"
	UnsupportedSchemaVersion Code = "unsupported_schema_version"
)

var statuses = map[Code]int{
	Invalid:                  http.StatusBadRequest,
	NotFound:                 http.StatusNotFound,
	Conflict:                 http.StatusConflict,
	Unauthorized:             http.StatusUnauthorized,
	Forbidden:                http.StatusForbidden,
	RateLimited:              http.StatusTooManyRequests,
	Unavailable:              http.StatusServiceUnavailable,
	Internal:                 http.StatusInternalServerError,
	MethodNotAllowed:         http.StatusMethodNotAllowed,
	ForbiddenAPIKey:          http.StatusForbidden,
	InvalidCharacterName:     http.StatusBadRequest,
	CharacterNameTaken:       http.StatusConflict,
	DuplicateEnrollment:      http.StatusConflict,
	NotSubscriber:            http.StatusForbidden,
	ActivePayoutExists:       http.StatusConflict,
	LifetimeCapReached:       http.StatusConflict,
	TerminalStatusChange:     http.StatusConflict,
	InvalidTransition:        http.StatusConflict,
	OutOfSequence:            http.StatusBadRequest,
	PoolEmpty:                http.StatusConflict,
	CharacterNameMismatch:    http.StatusBadRequest,
	GiftAlreadyUsed:          http.StatusConflict,
	GiftRequestActive:        http.StatusConflict,
	InvalidSignature:         http.StatusForbidden,
	StaleMessage:             http.StatusForbidden,
	IdentityNotShared:        http.StatusUnauthorized,
	UnsupportedSchemaVersion: http.StatusBadRequest,
}

// HTTPStatus is the status a code is answered with.
func HTTPStatus(c Code) int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Documented reports whether c is one of the codes above, and its status: every error
// body a client sees carries a documented code (the HTTP sweep of issue 12 checks it).
func Documented(c Code) (status int, ok bool) {
	status, ok = statuses[c]
	return status, ok
}

// Codes lists every documented code.
func Codes() []Code {
	out := make([]Code, 0, len(statuses))
	for c := range statuses {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Temporary reports whether an operation failing with this code may succeed if retried
// later unchanged. Consumers Nak such failures with a delay and Term the rest.
func Temporary(c Code) bool {
	return c == Unavailable || c == Internal || c == RateLimited
}

// Error is an error with a code, a message fit for the client, and optional details.
type Error struct {
	Code    Code           `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
	Err     error          `json:"-"` // the cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, errs.E(code, "")) match on the code alone.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// E builds an *Error.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error carrying a cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// WithDetails returns e with details set.
func (e *Error) WithDetails(d map[string]any) *Error {
	e.Details = d
	return e
}

// CodeOf is the code of the first *Error in err's chain, Internal for any other error,
// and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Public is what a client may see of err: the *Error in its chain, or a generic
// internal error that hides the cause.
func Public(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		out := &Error{Code: e.Code, Message: e.Message, Details: e.Details}
		if out.Details == nil {
			out.Details = map[string]any{}
		}
		return out
	}
	return &Error{Code: Internal, Message: "internal error", Details: map[string]any{}}
}

// Has reports whether err carries code.
func Has(err error, code Code) bool { return CodeOf(err) == code }

// Delivery hints. A consumer's handler decides, with its error, what becomes of the
// message it handled; natsx.Settler turns that into Ack, Nak or Term in one place:
//
//   - nil: done (Ack);
//   - Later(d, err): try again after d, a delay the handler chose (NakWithDelay(d));
//   - an error whose code is Temporary: try again after the consumer's growing delay;
//   - Abandon(err): leave the message unanswered, so it comes back after the
//     consumer's AckWait, exactly as if this process had stopped there;
//   - any other error: the message cannot succeed as it is (poison): tried a few
//     times, then kept as a dead letter and terminated (natsx.PoisonDeliveries).

// Later marks err as worth retrying after d.
func Later(d time.Duration, err error) error { return &laterError{delay: d, err: err} }

// LaterDelay is the delay Later attached to err.
func LaterDelay(err error) (time.Duration, bool) {
	var l *laterError
	if errors.As(err, &l) {
		return l.delay, true
	}
	return 0, false
}

type laterError struct {
	delay time.Duration
	err   error
}

func (e *laterError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("retry in %s", e.delay)
	}
	return fmt.Sprintf("retry in %s: %v", e.delay, e.err)
}
func (e *laterError) Unwrap() error { return e.err }

// Abandon marks a message to be left unanswered (see the delivery hints above).
func Abandon(err error) error { return &abandonError{err: err} }

// Abandoned reports an error made by Abandon.
func Abandoned(err error) bool {
	var a *abandonError
	return errors.As(err, &a)
}

type abandonError struct{ err error }

func (e *abandonError) Error() string {
	if e.err == nil {
		return "abandoned"
	}
	return "abandoned: " + e.err.Error()
}
func (e *abandonError) Unwrap() error { return e.err }
