package helix

// How a failed call is described: never with a token, with Twitch's own message, and
// with what the caller needs to decide (status, Ratelimit-Reset, timeout, temporary).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

// APIError describes a failed Helix or OAuth call. It never holds a token: Message is
// Twitch's own error message, which names no credential.
type APIError struct {
	Op      string    // "send chat message", …
	Status  int       // HTTP status; 0 when the request got no answer
	Message string    // Twitch's "message" field, shortened
	ResetAt time.Time // 429: when the rate-limit bucket refills (Ratelimit-Reset)
	Timeout bool      // no answer in time
}

func (e *APIError) Error() string {
	switch {
	case e.Timeout:
		return fmt.Sprintf("helix %s: timeout", e.Op)
	case e.Status == 0:
		return fmt.Sprintf("helix %s: no answer: %s", e.Op, e.Message)
	case e.Message != "":
		return fmt.Sprintf("helix %s: HTTP %d: %s", e.Op, e.Status, e.Message)
	default:
		return fmt.Sprintf("helix %s: HTTP %d", e.Op, e.Status)
	}
}

// RateLimitReset is the Ratelimit-Reset time carried by a 429 error.
func RateLimitReset(err error) (time.Time, bool) {
	var e *APIError
	if errors.As(err, &e) && !e.ResetAt.IsZero() {
		return e.ResetAt, true
	}
	return time.Time{}, false
}

// HTTPStatus is the HTTP status of a failed call, 0 when there was none.
func HTTPStatus(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsTimeout reports an error where Helix did not answer in time: the request may or may
// not have been carried out.
func IsTimeout(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Timeout
}

// Temporary reports whether retrying the same call later may succeed (5xx, 429,
// timeouts, no answer).
func Temporary(err error) bool {
	return err != nil && errs.Temporary(errs.CodeOf(err))
}

func transportError(op string, err error) error {
	e := &APIError{Op: op}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		e.Timeout = true
	} else if errors.Is(err, context.Canceled) {
		e.Message = "canceled"
	} else {
		e.Message = domain.Excerpt(err.Error(), 200)
	}
	return errs.Wrap(errs.Unavailable, e, "%s: twitch did not answer", op).WithDetails(map[string]any{"timeout": e.Timeout})
}

func (c *Client) statusError(op string, resp *http.Response, body []byte) error {
	e := &APIError{Op: op, Status: resp.StatusCode, Message: twitchMessage(body)}
	details := map[string]any{"status": e.Status}
	var code errs.Code
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		code = errs.RateLimited
		if v, err := strconv.ParseInt(resp.Header.Get("Ratelimit-Reset"), 10, 64); err == nil && v > 0 {
			e.ResetAt = time.Unix(v, 0)
			details["resetAt"] = v
		}
	case s >= 500:
		code = errs.Unavailable
	case s == http.StatusUnauthorized:
		code = errs.Unauthorized
	case s == http.StatusForbidden:
		code = errs.Forbidden
	case s == http.StatusNotFound:
		code = errs.NotFound
	case s == http.StatusConflict:
		code = errs.Conflict
	default:
		code = errs.Invalid
	}
	return errs.Wrap(code, e, "%s: twitch answered %d", op, e.Status).WithDetails(details)
}

// twitchMessage extracts the "message" of a Twitch error body. Twitch's messages name
// no credential; the body itself is never copied into an error.
func twitchMessage(body []byte) string {
	var b struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	return domain.Excerpt(b.Message, 200)
}
