package fakehelix

import (
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"time"
)

// The device code grant flow
// (https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#device-code-grant-flow):
// the application posts client_id and scopes to /oauth2/device and gets a device_code,
// a user_code, a verification_uri, expires_in and interval; it shows the user the
// address and the code, then polls /oauth2/token with grant_type
// urn:ietf:params:oauth:grant-type:device_code until the user has approved. Until then
// the answer is 400 {"status":400,"message":"authorization_pending"}.
//
// What Twitch answers to a poll that comes too soon, a user who refuses, and an expired
// or spent code is not on that page (unknown). The fake answers as RFC 8628 §3.5
// names them, in Twitch's OAuth error shape: "slow_down" (and the interval grows by 5
// seconds), "access_denied", and "invalid device code" for an expired, spent or unknown
// code — so a client must treat every message but authorization_pending and slow_down
// as the end of the attempt.

type device struct {
	code       string
	userCode   string
	scopes     []string
	expiresAt  time.Time
	interval   time.Duration
	lastPoll   time.Time // monotonic, for slow_down
	approvedBy string
	denied     bool
}

// DeviceLogin is a pending device code login as the fake sees it.
type DeviceLogin struct {
	UserCode string
	Scopes   []string
}

func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthErr(w, http.StatusBadRequest, "invalid form")
		return
	}
	if r.PostForm.Get("client_id") != ClientID {
		writeOAuthErr(w, http.StatusBadRequest, "invalid client")
		return
	}
	// "scopes" (plural, space-delimited) is required on this endpoint.
	scopes := scopeList(r.PostForm.Get("scopes"))
	if len(scopes) == 0 {
		writeOAuthErr(w, http.StatusBadRequest, "missing scopes")
		return
	}
	s.mu.Lock()
	d := &device{code: randomID() + randomID()[:10], userCode: userCode(), scopes: scopes,
		expiresAt: s.now().Add(s.deviceTTL), interval: time.Duration(s.deviceInterval) * time.Second}
	s.devices[d.code] = d
	s.issued = append(s.issued, d.code)
	ttl, interval := s.deviceTTL, s.deviceInterval
	s.mu.Unlock()
	// Twitch's verification_uri carries the code:
	// https://www.twitch.tv/activate?public=true&device-code=ABCDEFGH.
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": d.code, "expires_in": int(ttl.Seconds()), "interval": interval, "user_code": d.userCode,
		"verification_uri": s.URL() + "/activate?public=true&device-code=" + d.userCode,
	})
}

func (s *Server) pollDevice(w http.ResponseWriter, f url.Values) {
	// A client secret is not needed for a public client; a confidential one may send
	// it (unknown whether Twitch checks it here; the fake refuses a wrong one).
	if sec := f.Get("client_secret"); sec != "" && sec != ClientSecret {
		writeOAuthErr(w, http.StatusForbidden, "invalid client secret")
		return
	}
	s.mu.Lock()
	d, ok := s.devices[f.Get("device_code")]
	if !ok || !s.now().Before(d.expiresAt) {
		delete(s.devices, f.Get("device_code"))
		s.mu.Unlock()
		writeOAuthErr(w, http.StatusBadRequest, "invalid device code")
		return
	}
	if d.denied {
		delete(s.devices, d.code)
		s.mu.Unlock()
		writeOAuthErr(w, http.StatusBadRequest, "access_denied")
		return
	}
	if d.approvedBy == "" {
		now := time.Now()
		early := !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < d.interval-50*time.Millisecond
		d.lastPoll = now
		if early {
			d.interval += 5 * time.Second
			s.mu.Unlock()
			writeOAuthErr(w, http.StatusBadRequest, "slow_down")
			return
		}
		s.mu.Unlock()
		writeOAuthErr(w, http.StatusBadRequest, "authorization_pending")
		return
	}
	delete(s.devices, d.code)
	access, refresh := s.issueLocked(d.approvedBy, d.scopes)
	ttl := s.ttl
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "refresh_token": refresh, "expires_in": int(ttl.Seconds()),
		"scope": d.scopes, "token_type": "bearer",
	})
}

// Approve plays the user userID entering userCode at the verification address and
// clicking Authorize: the next poll gets tokens for userID with the requested scopes.
func (s *Server) Approve(userCode, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deviceByUserCodeLocked(userCode)
	if d == nil {
		return fmt.Errorf("fakehelix: no pending device login with code %q", userCode)
	}
	d.approvedBy = userID
	return nil
}

// Deny plays the user refusing the authorisation.
func (s *Server) Deny(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deviceByUserCodeLocked(userCode)
	if d == nil {
		return fmt.Errorf("fakehelix: no pending device login with code %q", userCode)
	}
	d.denied = true
	return nil
}

// PendingLogins lists the device logins waiting for the user.
func (s *Server) PendingLogins() []DeviceLogin {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DeviceLogin
	for _, d := range s.devices {
		if d.approvedBy == "" && !d.denied && s.now().Before(d.expiresAt) {
			out = append(out, DeviceLogin{UserCode: d.userCode, Scopes: append([]string(nil), d.scopes...)})
		}
	}
	return out
}

// SetDeviceTiming sets expires_in and interval (whole seconds, as Twitch sends them)
// of device logins started from now on. Twitch's are 1800 and 5.
func (s *Server) SetDeviceTiming(expiresIn time.Duration, intervalSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deviceTTL, s.deviceInterval = expiresIn, intervalSeconds
}

func (s *Server) deviceByUserCodeLocked(code string) *device {
	for _, d := range s.devices {
		if d.userCode == code && s.now().Before(d.expiresAt) {
			return d
		}
	}
	return nil
}

// handleActivatePage is the fake's stand-in for twitch.tv/activate, for trying the
// login by hand with `make run`: it asks which user id approves.
func (s *Server) handleActivatePage(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("device-code")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Fake Twitch — activate</title>
<h1>Fake Twitch: authorise a device</h1>
<form method="post" action="/activate">
<p>Code <input name="code" value="%s"></p>
<p>Log in as user id <input name="user_id" value=""></p>
<p><button name="answer" value="approve">Authorize</button> <button name="answer" value="deny">Cancel</button></p>
</form>`, html.EscapeString(code))
}

func (s *Server) handleActivate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	code, uid := r.PostForm.Get("code"), r.PostForm.Get("user_id")
	var err error
	switch {
	case r.PostForm.Get("answer") == "deny":
		err = s.Deny(code)
	case uid == "":
		err = fmt.Errorf("enter the user id that approves")
	default:
		err = s.Approve(code, uid)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, "Done. You can close this page.")
}

// userCode is eight letters, like Twitch's ("ABCDEFGH" in the documentation's example).
func userCode() string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}
