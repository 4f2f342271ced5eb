// Package extjwt mints Twitch Extension JWTs the way Twitch signs them (HS256 over the
// base64-decoded extension secret). The gateway's tests, the end-to-end tests and the
// benchmarks use it to act as a viewer; production code only verifies such tokens.
package extjwt

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"time"
)

// Claims are the Extension token claims the backend reads.
type Claims struct {
	UserID       string    // user_id: present only when the viewer shared identity
	OpaqueUserID string    // opaque_user_id: "U…" for logged-in viewers, "A…" for anonymous ones
	ChannelID    string    // channel_id: the channel the panel is shown on
	Role         string    // role: viewer, broadcaster, moderator, external
	Exp          time.Time // exp; the zero time leaves the claim out
}

// Twitch's default token lifetime is about an hour; tests that do not care use this.
const DefaultLifetime = time.Hour

// Mint signs c with HS256 and the base64 secret secretB64 (as configured in
// TWITCH_EXTENSION_SECRETS). It panics on a secret that is not base64: it is a test
// helper, and a bad literal secret is a bug in the test.
func Mint(secretB64 string, c Claims) string {
	key, err := base64.StdEncoding.DecodeString(secretB64)
	if err != nil {
		panic(fmt.Sprintf("extjwt: secret is not base64: %v", err))
	}
	return MintAlg("HS256", key, c)
}

// MintAlg signs c with the raw key and the named algorithm: "HS256", "HS384", "HS512",
// or "none" (no signature). Tests use it to build tokens a verifier must refuse.
func MintAlg(alg string, key []byte, c Claims) string {
	return Sign(map[string]any{"alg": alg, "typ": "JWT"}, c.Map(), alg, key)
}

// Map is the claim set as JSON object members.
func (c Claims) Map() map[string]any {
	m := map[string]any{
		"opaque_user_id": c.OpaqueUserID,
		"channel_id":     c.ChannelID,
		"role":           c.Role,
		"pubsub_perms":   map[string]any{"listen": []string{"broadcast"}},
	}
	if c.UserID != "" {
		m["user_id"] = c.UserID
	}
	if !c.Exp.IsZero() {
		m["exp"] = c.Exp.Unix()
	}
	return m
}

// Sign encodes any header and claims and signs them with the HMAC named by alg ("none"
// leaves the signature empty). The header is written as given, so a test can lie in it.
func Sign(header, claims map[string]any, alg string, key []byte) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(claims)
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	var fn func() hash.Hash
	switch alg {
	case "HS256":
		fn = sha256.New
	case "HS384":
		fn = sha512.New384
	case "HS512":
		fn = sha512.New
	case "none":
		return input + "."
	default:
		panic("extjwt: unsupported algorithm " + alg)
	}
	mac := hmac.New(fn, key)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

// NewSecret returns a random-looking but deterministic base64 secret for tests,
// derived from seed, so two tests can hold two different valid secrets.
func NewSecret(seed string) string {
	sum := sha256.Sum256([]byte("mgm-extjwt-" + seed))
	return base64.StdEncoding.EncodeToString(sum[:])
}
