package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
)

// DeviceCode is a started device login: show the user VerificationURI and UserCode,
// then Wait.
type DeviceCode struct {
	DeviceCode      string // secret: never shown or logged
	UserCode        string
	VerificationURI string
	ExpiresAt       time.Time
	Interval        time.Duration
	Scopes          []string
}

// StartDevice begins the device code grant flow for scopes
// (https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#device-code-grant-flow):
// POST /oauth2/device with client_id and the space-separated scopes.
func (c *Client) StartDevice(ctx context.Context, scopes []string) (DeviceCode, error) {
	const op = "start device login"
	var b struct {
		DeviceCode      string `json:"device_code"`
		ExpiresIn       int64  `json:"expires_in"`
		Interval        int64  `json:"interval"`
		UserCode        string `json:"user_code"`
		VerificationURI string `json:"verification_uri"`
	}
	status, msg, err := c.post(ctx, op, "/oauth2/device", url.Values{"client_id": {c.ClientID}, "scopes": {strings.Join(scopes, " ")}}, &b)
	if err != nil {
		return DeviceCode{}, err
	}
	if status != http.StatusOK {
		return DeviceCode{}, statusError(op, status, msg)
	}
	if b.DeviceCode == "" || b.UserCode == "" || b.VerificationURI == "" {
		return DeviceCode{}, errs.E(errs.Unavailable, "%s: twitch answered without a code", op)
	}
	d := DeviceCode{DeviceCode: b.DeviceCode, UserCode: b.UserCode, VerificationURI: b.VerificationURI,
		ExpiresAt: time.Now().Add(time.Duration(b.ExpiresIn) * time.Second), Interval: time.Duration(b.Interval) * time.Second,
		Scopes: append([]string(nil), scopes...)}
	if d.Interval <= 0 {
		d.Interval = 5 * time.Second
	}
	if b.ExpiresIn <= 0 {
		d.ExpiresAt = time.Now().Add(30 * time.Minute)
	}
	return d, nil
}

// Wait polls the token endpoint every Interval until the user approves (the token),
// refuses (ErrDenied), or the code runs out (ErrExpired); ctx ends it early. While
// Twitch answers "authorization_pending" it keeps waiting; "slow_down" lengthens the
// interval by five seconds (RFC 8628 §3.5; Twitch's page names only
// authorization_pending, so every other message ends the attempt).
func (c *Client) Wait(ctx context.Context, d DeviceCode) (Token, error) {
	const op = "device login"
	interval := d.Interval
	for {
		if !time.Now().Before(d.ExpiresAt) {
			return Token{}, errs.Wrap(errs.Unauthorized, ErrExpired, "%s", op)
		}
		t := time.NewTimer(min(interval, time.Until(d.ExpiresAt)+time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return Token{}, errs.Wrap(errs.Unavailable, ctx.Err(), "%s: stopped while waiting for the user", op)
		case <-t.C:
		}
		form := url.Values{"client_id": {c.ClientID}, "scopes": {strings.Join(d.Scopes, " ")},
			"device_code": {d.DeviceCode}, "grant_type": {DeviceGrantType}}
		if c.ClientSecret != "" {
			form.Set("client_secret", c.ClientSecret)
		}
		var b tokenBody
		status, msg, err := c.post(ctx, op, "/oauth2/token", form, &b)
		if err != nil {
			if errs.CodeOf(err) == errs.Unavailable && ctx.Err() == nil {
				continue // a lost poll is retried at the next interval
			}
			return Token{}, err
		}
		if status == http.StatusOK {
			return b.token(op)
		}
		switch m := strings.ToLower(msg); {
		case m == "authorization_pending":
		case m == "slow_down":
			interval += 5 * time.Second
		case strings.Contains(m, "denied"):
			return Token{}, errs.Wrap(errs.Unauthorized, ErrDenied, "%s: %s", op, msg)
		case strings.Contains(m, "device code") || strings.Contains(m, "expired"):
			return Token{}, errs.Wrap(errs.Unauthorized, ErrExpired, "%s: %s", op, msg)
		case status >= 500:
		default:
			return Token{}, statusError(op, status, msg)
		}
	}
}
