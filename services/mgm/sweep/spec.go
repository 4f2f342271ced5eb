package sweep

// The surface to sweep (routes and what authenticates them) and the ways each
// credential can be right and wrong.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/twitch/extjwt"
)

// Auth kinds a route asks for.
const (
	AuthNone    = "none"
	AuthViewer  = "viewer"  // the Twitch Extension JWT (docs/product.md §6)
	AuthAPIKey  = "apikey"  // X-MGM-ApiKey
	AuthHMAC    = "hmac"    // the EventSub signature; never forged here
	AuthDesktop = "desktop" // the Desktop window's X-MGM-Desktop header
)

// Route is one documented route.
type Route struct {
	Method string
	Path   string // with {param} placeholders
	Auth   string
	// Body is a body the route would accept (nil: the route takes none).
	Body func(r *rand.Rand) map[string]any
}

// Spec is the surface to sweep and the credentials to play with.
type Spec struct {
	Routes []Route
	// ExtensionSecret is the decoded Twitch Extension secret; ChannelID the broadcaster.
	ExtensionSecret []byte
	ChannelID       string
	APIKey          string
	Now             func() time.Time
}

// Variant is one way of presenting credentials.
type Variant struct {
	Label  string
	Header [][2]string
	Valid  bool // the credentials are good
}

func bearer(tok string) [][2]string { return [][2]string{{"Authorization", "Bearer " + tok}} }

// ViewerVariants are the ways a viewer token can be right and wrong (docs/product.md §6:
// HS256 with the decoded secret, algorithm pinned, exp checked, channel_id the
// broadcaster).
func (s Spec) ViewerVariants() []Variant {
	now := s.Now()
	claims := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"user_id": "424242", "opaque_user_id": "U424242", "channel_id": s.ChannelID,
			"role": "viewer", "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(m)
		}
		return m
	}
	hs := func(alg string, header map[string]any, m map[string]any, key []byte) string {
		if header == nil {
			header = map[string]any{"alg": alg, "typ": "JWT"}
		}
		return extjwt.Sign(header, m, alg, key)
	}
	valid := hs("HS256", nil, claims(nil), s.ExtensionSecret)
	parts := strings.Split(valid, ".")
	out := []Variant{
		{"jwt/valid", bearer(valid), true},
		{"jwt/valid-anonymous", bearer(hs("HS256", nil, claims(func(m map[string]any) { delete(m, "user_id"); m["opaque_user_id"] = "A1" }), s.ExtensionSecret)), true},
		{"jwt/none", nil, false},
		{"jwt/alg-none", bearer(extjwt.Sign(map[string]any{"alg": "none", "typ": "JWT"}, claims(nil), "none", nil)), false},
		{"jwt/alg-none-with-signature", bearer(strings.Join([]string{b64(`{"alg":"none","typ":"JWT"}`), parts[1], parts[2]}, ".")), false},
		{"jwt/alg-RS256-header", bearer(hs("HS256", map[string]any{"alg": "RS256", "typ": "JWT"}, claims(nil), s.ExtensionSecret)), false},
		{"jwt/HS512", bearer(hs("HS512", nil, claims(nil), s.ExtensionSecret)), false},
		{"jwt/HS384", bearer(hs("HS384", nil, claims(nil), s.ExtensionSecret)), false},
		{"jwt/wrong-secret", bearer(hs("HS256", nil, claims(nil), []byte("not the extension secret at all!"))), false},
		{"jwt/secret-not-decoded", bearer(hs("HS256", nil, claims(nil), []byte(b64std(s.ExtensionSecret)))), false},
		{"jwt/expired", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["exp"] = now.Add(-time.Hour).Unix() }), s.ExtensionSecret)), false},
		// The gateway allows 5 seconds of clock difference (auth.ClockLeeway); ten
		// seconds past exp is expired whatever the clocks say.
		{"jwt/expired-past-the-leeway", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["exp"] = now.Add(-10 * time.Second).Unix() }), s.ExtensionSecret)), false},
		// "external" is an EBS's own role, never a viewer's
		// (https://dev.twitch.tv/docs/extensions/reference/#jwt-schema).
		{"jwt/role-external", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["role"] = "external" }), s.ExtensionSecret)), false},
		{"jwt/not-yet-valid", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["nbf"] = now.Add(time.Hour).Unix() }), s.ExtensionSecret)), false},
		{"jwt/wrong-channel", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["channel_id"] = "999" }), s.ExtensionSecret)), false},
		{"jwt/no-channel", bearer(hs("HS256", nil, claims(func(m map[string]any) { delete(m, "channel_id") }), s.ExtensionSecret)), false},
		{"jwt/channel-number", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["channel_id"] = json.Number(s.ChannelID) }), s.ExtensionSecret)), false},
		{"jwt/no-exp", bearer(hs("HS256", nil, claims(func(m map[string]any) { delete(m, "exp") }), s.ExtensionSecret)), false},
		{"jwt/exp-string", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["exp"] = fmt.Sprint(now.Add(time.Hour).Unix()) }), s.ExtensionSecret)), false},
		{"jwt/exp-huge", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["exp"] = 1e300 }), s.ExtensionSecret)), false},
		{"jwt/exp-negative", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["exp"] = -1 }), s.ExtensionSecret)), false},
		{"jwt/user-id-number", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["user_id"] = 424242 }), s.ExtensionSecret)), false},
		{"jwt/user-id-object", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["user_id"] = map[string]any{"id": 1} }), s.ExtensionSecret)), false},
		{"jwt/claims-array", bearer(b64(`{"alg":"HS256","typ":"JWT"}`) + "." + b64(`[1,2]`) + "." + parts[2]), false},
		{"jwt/header-not-json", bearer(b64(`{alg`) + "." + parts[1] + "." + parts[2]), false},
		{"jwt/two-parts", bearer(parts[0] + "." + parts[1]), false},
		{"jwt/four-parts", bearer(valid + ".x"), false},
		{"jwt/bad-base64", bearer(parts[0] + ".%%%." + parts[2]), false},
		{"jwt/padded-base64", bearer(parts[0] + "=." + parts[1] + "." + parts[2]), false},
		{"jwt/signature-flipped", bearer(parts[0] + "." + parts[1] + "." + flip(parts[2])), false},
		{"jwt/payload-swapped", bearer(parts[0] + "." + b64(`{"channel_id":"`+s.ChannelID+`","user_id":"1","opaque_user_id":"U1","role":"broadcaster","exp":9999999999}`) + "." + parts[2]), false},
		{"jwt/huge-100KiB", bearer(hs("HS256", nil, claims(func(m map[string]any) { m["pad"] = strings.Repeat("x", 100<<10) }), s.ExtensionSecret)), true},
		{"jwt/empty-bearer", [][2]string{{"Authorization", "Bearer "}}, false},
		{"jwt/scheme-only", [][2]string{{"Authorization", "Bearer"}}, false},
		{"jwt/basic-scheme", [][2]string{{"Authorization", "Basic " + b64std([]byte("user:pass"))}}, false},
		{"jwt/token-without-scheme", [][2]string{{"Authorization", valid}}, false},
		{"jwt/duplicate-header-valid-first", [][2]string{{"Authorization", "Bearer " + valid}, {"Authorization", "Bearer x.y.z"}}, false},
		{"jwt/duplicate-header-valid-second", [][2]string{{"Authorization", "Bearer x.y.z"}, {"Authorization", "Bearer " + valid}}, false},
		{"jwt/duplicate-header-both-valid", [][2]string{{"Authorization", "Bearer " + valid}, {"Authorization", "Bearer " + valid}}, false},
		{"jwt/two-tokens-one-header", [][2]string{{"Authorization", "Bearer " + valid + ", Bearer " + valid}}, false},
	}
	return out
}

// APIKeyVariants are the ways the Desktop's key can be right and wrong.
func (s Spec) APIKeyVariants() []Variant {
	k := s.APIKey
	h := func(v ...string) [][2]string {
		out := make([][2]string, 0, len(v))
		for _, x := range v {
			out = append(out, [2]string{"X-MGM-ApiKey", x})
		}
		return out
	}
	return []Variant{
		{"apikey/valid", h(k), true},
		{"apikey/none", nil, false},
		{"apikey/empty", h(""), false},
		{"apikey/wrong", h("wrong-key"), false},
		{"apikey/prefix", h(k[:len(k)-1]), false},
		{"apikey/suffix", h(k + "x"), false},
		{"apikey/upper-case", h(strings.ToUpper(k)), false},
		{"apikey/huge", h(strings.Repeat("k", 64<<10)), false},
		{"apikey/as-bearer", bearer(k), false},
		{"apikey/duplicate-valid-first", h(k, "wrong"), false},
		{"apikey/duplicate-valid-second", h("wrong", k), false},
		{"apikey/duplicate-both-valid", h(k, k), false},
		{"apikey/list-in-one-header", h(k + ", " + k), false},
	}
}

// variants is how a route's credentials may be presented.
func (s Spec) variants(auth string) []Variant {
	switch auth {
	case AuthViewer:
		return s.ViewerVariants()
	case AuthAPIKey:
		return s.APIKeyVariants()
	case AuthDesktop:
		return []Variant{
			{"desktop/header", [][2]string{{"X-MGM-Desktop", "1"}}, true},
			{"desktop/no-header", nil, false},
			{"desktop/header-0", [][2]string{{"X-MGM-Desktop", "0"}}, false},
		}
	}
	return []Variant{{"auth/none", nil, true}}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func b64std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func flip(s string) string {
	if s == "" {
		return "A"
	}
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}
