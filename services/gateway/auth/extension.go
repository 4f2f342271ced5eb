// Package auth checks who is calling the gateway: viewers with a Twitch Extension JWT
// and the streamer's Desktop with the API key. Refusals are errs codes the gateway's
// error handler turns into 401/403 bodies.
package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/mimiron/mgm/pkg/errs"
)

// Viewer is the caller a verified Extension token names.
type Viewer struct {
	UserID       string // Twitch user id; empty unless the viewer shared identity
	OpaqueUserID string // per-extension opaque id, always present
	Role         string
	Exp          time.Time
}

// RateKey identifies the viewer for rate limiting: the user id when shared, else the
// opaque id.
func (v Viewer) RateKey() string {
	if v.UserID != "" {
		return "u:" + v.UserID
	}
	return "o:" + v.OpaqueUserID
}

// RequireIdentity refuses viewers who did not share their Twitch identity with the
// Extension: without user_id nothing can be tied to their account.
func (v Viewer) RequireIdentity() error {
	if v.UserID == "" {
		return errs.E(errs.Unauthorized, "this action needs your Twitch identity: share your identity with the extension and try again").
			WithDetails(map[string]any{"reason": "identity_not_shared"})
	}
	return nil
}

// MaxTokenLen bounds what is hashed, cached or parsed; Twitch tokens are a few hundred bytes.
const MaxTokenLen = 4096

// Cache limits: a verified token is trusted again without re-verification until its
// exp or CacheTTL, whichever comes first.
const (
	CacheTTL     = time.Minute
	CacheEntries = 100_000
)

// Verifier checks Extension tokens: HS256 only, signed by one of the configured
// secrets, exp present and in the future, channel_id the configured broadcaster.
type Verifier struct {
	keys      [][]byte
	channelID string
	now       func() time.Time
	cache     *tokenCache
}

// NewVerifier decodes the base64 secrets (TWITCH_EXTENSION_SECRETS; all are accepted,
// so a rotated secret and its successor work at once).
func NewVerifier(secretsB64 []string, channelID string, now func() time.Time) (*Verifier, error) {
	v := &Verifier{channelID: channelID, now: now, cache: newTokenCache(CacheEntries)}
	for i, s := range secretsB64 {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil || len(k) == 0 {
			return nil, fmt.Errorf("TWITCH_EXTENSION_SECRETS entry %d is not base64", i+1)
		}
		v.keys = append(v.keys, k)
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Authorization verifies an "Authorization: Bearer <jwt>" header value.
func (v *Verifier) Authorization(header string) (Viewer, error) {
	tok, ok := BearerToken(header)
	if !ok {
		return Viewer{}, errs.E(errs.Unauthorized, "missing bearer token")
	}
	return v.Verify(tok)
}

// BearerToken extracts the token of an Authorization header ("Bearer" is
// case-insensitive).
func BearerToken(header string) (string, bool) {
	const p = "bearer "
	if len(header) <= len(p) || !strings.EqualFold(header[:len(p)], p) {
		return "", false
	}
	tok := strings.TrimSpace(header[len(p):])
	return tok, tok != ""
}

var errInvalid = errs.E(errs.Unauthorized, "invalid extension token")

// Verify checks one token, answering from the cache when this exact token was verified
// recently.
func (v *Verifier) Verify(token string) (Viewer, error) {
	if len(token) > MaxTokenLen {
		return Viewer{}, errInvalid
	}
	now := v.now()
	key := sha256.Sum256([]byte(token))
	if vw, ok := v.cache.get(key, now); ok {
		return vw, nil
	}
	vw, err := v.verify(token, now)
	if err != nil {
		return Viewer{}, err
	}
	until := now.Add(CacheTTL)
	if vw.Exp.Before(until) {
		until = vw.Exp
	}
	v.cache.put(key, vw, until, now)
	return vw, nil
}

func (v *Verifier) verify(token string, now time.Time) (Viewer, error) {
	if len(v.keys) == 0 {
		return Viewer{}, errs.E(errs.Unauthorized, "extension tokens are not accepted: no extension secret configured")
	}
	// Pin the algorithm before anything else looks at the token: the header must say
	// HS256 (jwx then verifies with HS256 whatever the header says, too).
	if alg, err := headerAlg(token); err != nil || alg != "HS256" {
		return Viewer{}, errs.E(errs.Unauthorized, "extension token must be signed with HS256")
	}
	if err := claimTypes(token); err != nil {
		return Viewer{}, errInvalid
	}
	opts := make([]jwt.ParseOption, 0, len(v.keys)+4)
	for _, k := range v.keys {
		opts = append(opts, jwt.WithKey(jwa.HS256, k))
	}
	opts = append(opts,
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })),
		jwt.WithAcceptableSkew(ClockLeeway),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
	)
	t, err := jwt.ParseString(token, opts...)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired()) {
			return Viewer{}, errs.E(errs.Unauthorized, "extension token expired")
		}
		return Viewer{}, errInvalid
	}
	channel := claimString(t, "channel_id")
	if channel == "" || channel != v.channelID {
		return Viewer{}, errs.E(errs.Unauthorized, "extension token is for another channel")
	}
	vw := Viewer{
		UserID:       claimString(t, "user_id"),
		OpaqueUserID: claimString(t, "opaque_user_id"),
		Role:         claimString(t, "role"),
		Exp:          t.Expiration(),
	}
	if vw.UserID == "" && vw.OpaqueUserID == "" {
		return Viewer{}, errs.E(errs.Unauthorized, "extension token names no viewer")
	}
	if !viewerRoles[vw.Role] {
		return Viewer{}, errs.E(errs.Unauthorized, "extension token is not a viewer's (role %q)", shortRole(vw.Role))
	}
	return vw, nil
}

// ClockLeeway is how far the token's exp (and nbf) may be off our clock: Twitch mints
// the token on its servers, so a few seconds of difference must not refuse a viewer.
const ClockLeeway = 5 * time.Second

// viewerRoles are the roles Twitch mints into the tokens of people looking at the
// panel; "external" is for tokens an Extension Backend Service signs for itself (the
// backend's own Extension PubSub tokens carry it), never a viewer
// (https://dev.twitch.tv/docs/extensions/reference/#jwt-schema, role).
var viewerRoles = map[string]bool{"viewer": true, "broadcaster": true, "moderator": true}

func shortRole(r string) string {
	if len(r) > 20 {
		return r[:20] + "…"
	}
	return r
}

func claimString(t jwt.Token, name string) string {
	raw, ok := t.Get(name)
	if !ok {
		return ""
	}
	s, _ := raw.(string)
	return s
}

// claimTypes refuses a token whose claims have the wrong JSON types. jwx reads an "exp"
// written as a string ("1700000000") as a date, and the claim readers above take a
// user_id that is a number for no user at all; Twitch writes exp, nbf and iat as numbers
// (RFC 7519 §2 NumericDate) and the ids and role as strings
// (https://dev.twitch.tv/docs/extensions/reference/#jwt-schema), so anything else is a
// forged or broken token (the HTTP sweep of issue 12 found both).
func claimTypes(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(b, &claims); err != nil {
		return err
	}
	for name, want := range map[string]byte{"exp": 'n', "nbf": 'n', "iat": 'n',
		"channel_id": 's', "user_id": 's', "opaque_user_id": 's', "role": 's'} {
		raw, ok := claims[name]
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		switch v.(type) {
		case float64:
			if want != 'n' {
				return fmt.Errorf("claim %s is a number", name)
			}
		case string:
			if want != 's' {
				return fmt.Errorf("claim %s is a string", name)
			}
		default:
			return fmt.Errorf("claim %s has the wrong type", name)
		}
	}
	return nil
}

func headerAlg(token string) (string, error) {
	dot := strings.IndexByte(token, '.')
	if dot <= 0 {
		return "", errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(token[:dot])
	if err != nil {
		return "", err
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return "", err
	}
	return h.Alg, nil
}

// tokenCache remembers verified tokens by the SHA-256 of the token (the raw token is
// never kept), bounded in size.
type tokenCache struct {
	mu  sync.RWMutex
	m   map[[32]byte]cached
	max int
}

type cached struct {
	viewer Viewer
	until  time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{m: make(map[[32]byte]cached), max: max}
}

func (c *tokenCache) get(k [32]byte, now time.Time) (Viewer, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return Viewer{}, false
	}
	return e.viewer, true
}

func (c *tokenCache) put(k [32]byte, v Viewer, until, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for key, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, key)
			}
		}
		// Still full of live entries: drop an arbitrary quarter; those viewers are
		// simply verified again on their next call.
		for key := range c.m {
			if len(c.m) < c.max*3/4 {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = cached{viewer: v, until: until}
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
