// Package api is the Desktop's client of the backend's HTTP API (docs/product.md §6): the
// routes that take the X-MGM-ApiKey, and the sorting of failures into "retry later" and
// "will never pass".
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
)

// Settings name the backend. They may change while the Desktop runs (the streamer edits
// them in the window), so the client asks for them on every call.
type Settings struct {
	BaseURL string
	APIKey  string
}

// Client calls the backend.
type Client struct {
	settings func() Settings
	hc       *http.Client
}

// New makes a client that reads its settings through get.
func New(get func() Settings) *Client {
	return &Client{settings: get, hc: &http.Client{Timeout: 10 * time.Second}}
}

// Error is a non-2xx answer.
type Error struct {
	Status     int
	Code       errs.Code
	Message    string
	Details    map[string]any
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// Permanent reports whether err can never pass by retrying the same call: a 4xx other
// than 408/429 and other than a rejected API key (the streamer can fix the key, and what
// waited must then go through). Transport errors and 5xx are temporary.
func Permanent(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusTooManyRequests:
		return false
	case e.Status == http.StatusUnauthorized, e.Code == errs.ForbiddenAPIKey:
		return false
	case e.Status >= 400 && e.Status < 500:
		return true
	}
	return false
}

// CodeOf is the backend's error code of err, "" when there is none.
func CodeOf(err error) errs.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// StatusOf is the HTTP status of err, 0 when there is none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// RetryAfter is the delay the backend asked for, 0 when none.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func (c *Client) do(ctx context.Context, method, path string, body any, auth bool, out any) (int, error) {
	s := c.settings()
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		return 0, errors.New("API base URL is not set")
	}
	var rd io.Reader
	if body != nil {
		var b []byte
		switch v := body.(type) {
		case json.RawMessage:
			b = v
		default:
			var err error
			if b, err = json.Marshal(body); err != nil {
				return 0, err
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if auth {
		req.Header.Set("X-MGM-ApiKey", s.APIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		var eb struct {
			Code    errs.Code      `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Code != "" {
			e.Code, e.Message, e.Details = eb.Code, eb.Message, eb.Details
		} else {
			e.Message = strings.TrimSpace(string(data))
			if len(e.Message) > 200 {
				e.Message = e.Message[:200]
			}
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			if n, err := strconv.Atoi(ra); err == nil {
				e.RetryAfter = time.Duration(n) * time.Second
			}
		}
		return resp.StatusCode, e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// Candidate is the cycle awaiting a /who report, nil when none (204).
func (c *Client) Candidate(ctx context.Context) (*events.Candidate, error) {
	var cand events.Candidate
	code, err := c.do(ctx, http.MethodGet, "/api/roulette/candidate", nil, true, &cand)
	if err != nil {
		return nil, err
	}
	if code == http.StatusNoContent || cand.SpinCycleID == "" {
		return nil, nil
	}
	return &cand, nil
}

// Pending lists the active payouts (Pending and InProgress), oldest first.
func (c *Client) Pending(ctx context.Context) ([]events.Payout, error) {
	var ps []events.Payout
	if _, err := c.do(ctx, http.MethodGet, "/api/payouts/pending", nil, true, &ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// VerifyCandidate posts an [MGM_WHO] report verbatim.
func (c *Client) VerifyCandidate(ctx context.Context, report json.RawMessage) (*events.VerifyReply, error) {
	var r events.VerifyReply
	if _, err := c.do(ctx, http.MethodPost, "/api/roulette/verify-candidate", report, true, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ConfirmAcceptance records the winner's consent.
func (c *Client) ConfirmAcceptance(ctx context.Context, payoutID, characterName string) error {
	_, err := c.do(ctx, http.MethodPost, "/api/payouts/"+url.PathEscape(payoutID)+"/confirm-acceptance",
		map[string]string{"characterName": characterName}, true, nil)
	return err
}

// SetStatus changes a payout's status.
func (c *Client) SetStatus(ctx context.Context, payoutID, status string) error {
	_, err := c.do(ctx, http.MethodPatch, "/api/payouts/"+url.PathEscape(payoutID)+"/status",
		map[string]string{"status": status}, true, nil)
	return err
}

// Gifts lists the gift requests the Desktop serves: the active one (SelectingItem or
// WaitingConfirmation) first, then the Pending ones, oldest first.
func (c *Client) Gifts(ctx context.Context) ([]events.GiftRequest, error) {
	var gs []events.GiftRequest
	if _, err := c.do(ctx, http.MethodGet, "/api/gift-requests", nil, true, &gs); err != nil {
		return nil, err
	}
	return gs, nil
}

// GiftSelect records the streamer's choice of item; the request moves to
// WaitingConfirmation and its consent clock starts.
func (c *Client) GiftSelect(ctx context.Context, id string, itemID int64, itemName string, count int) (*events.GiftRequest, error) {
	body := map[string]any{"itemId": itemID}
	if itemName != "" {
		body["itemName"] = itemName
	}
	if count > 0 {
		body["count"] = count
	}
	var g events.GiftRequest
	if _, err := c.do(ctx, http.MethodPost, "/api/gift-requests/"+url.PathEscape(id)+"/select-item", body, true, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// GiftFail fails a gift request on the streamer's word.
func (c *Client) GiftFail(ctx context.Context, id, reason string) error {
	_, err := c.do(ctx, http.MethodPatch, "/api/gift-requests/"+url.PathEscape(id),
		map[string]string{"status": "Failed", "reason": reason}, true, nil)
	return err
}

// GiftConfirm tells the gift queue the recipient consented ([MGM_GIFT_ACCEPT]).
func (c *Client) GiftConfirm(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, "/api/gift-requests/"+url.PathEscape(id)+"/confirm", struct{}{}, true, nil)
	return err
}

// GiftItems hands the gift queue the items the addon listed ([MGM_ITEMS]).
func (c *Client) GiftItems(ctx context.Context, id string, items json.RawMessage) error {
	body, _ := json.Marshal(map[string]json.RawMessage{"items": items})
	_, err := c.do(ctx, http.MethodPatch, "/api/gift-requests/"+url.PathEscape(id), json.RawMessage(body), true, nil)
	return err
}

// GiftCompleted marks a gift request Completed ([MGM_GIFT_SENT]).
func (c *Client) GiftCompleted(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPatch, "/api/gift-requests/"+url.PathEscape(id),
		map[string]string{"status": "Completed"}, true, nil)
	return err
}

// Version reads GET /api/version (no key needed).
func (c *Client) Version(ctx context.Context) (map[string]any, error) {
	var v map[string]any
	if _, err := c.do(ctx, http.MethodGet, "/api/version", nil, false, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// Test checks the base URL and the key: the version route answers, and a keyed route
// accepts the key.
func (c *Client) Test(ctx context.Context) (string, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return "", fmt.Errorf("backend not reachable: %w", err)
	}
	if _, err := c.Pending(ctx); err != nil {
		return "", fmt.Errorf("backend reachable, but the API key was refused: %w", err)
	}
	return fmt.Sprintf("connected (backend version %v)", v["version"]), nil
}
