package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
)

const channel = "1001"

var (
	secretOld = extjwt.NewSecret("old")
	secretNew = extjwt.NewSecret("new")
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newVerifier(t *testing.T) (*Verifier, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	v, err := NewVerifier([]string{secretOld, secretNew}, channel, c.now)
	require.NoError(t, err)
	return v, c
}

func viewerClaims(c *clock) extjwt.Claims {
	return extjwt.Claims{UserID: "42", OpaqueUserID: "U42", ChannelID: channel, Role: "viewer", Exp: c.now().Add(time.Hour)}
}

func rawKey(t *testing.T, b64 string) []byte {
	k, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	return k
}

func TestVerify_AcceptsEitherConfiguredSecret(t *testing.T) {
	v, c := newVerifier(t)
	for _, s := range []string{secretOld, secretNew} {
		vw, err := v.Verify(extjwt.Mint(s, viewerClaims(c)))
		require.NoError(t, err)
		assert.Equal(t, "42", vw.UserID)
		assert.Equal(t, "U42", vw.OpaqueUserID)
		assert.Equal(t, "u:42", vw.RateKey())
	}
}

func TestVerify_Refusals(t *testing.T) {
	v, c := newVerifier(t)
	good := viewerClaims(c)
	otherChannel := good
	otherChannel.ChannelID = "999"
	expired := good
	expired.Exp = c.now().Add(-ClockLeeway - time.Second) // past the clock leeway
	noExp := good
	noExp.Exp = time.Time{}
	noViewer := good
	noViewer.UserID, noViewer.OpaqueUserID = "", ""

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	payload, err := json.Marshal(good.Map())
	require.NoError(t, err)
	rs256, err := jws.Sign(payload, jws.WithKey(jwa.RS256, rsaKey))
	require.NoError(t, err)

	key := rawKey(t, secretOld)
	cases := map[string]struct {
		token string
		msg   string
	}{
		"wrong channel":                       {extjwt.Mint(secretOld, otherChannel), "another channel"},
		"alg none":                            {extjwt.MintAlg("none", nil, good), "HS256"},
		"HS256 header, signature stripped":    {stripSignature(extjwt.Mint(secretOld, good)), "invalid"},
		"HS512":                               {extjwt.MintAlg("HS512", key, good), "HS256"},
		"HS384":                               {extjwt.MintAlg("HS384", key, good), "HS256"},
		"header lies: HS256 but signed HS512": {extjwt.Sign(map[string]any{"alg": "HS256"}, good.Map(), "HS512", key), "invalid"},
		"RS256":                               {string(rs256), "HS256"},
		"expired":                             {extjwt.Mint(secretOld, expired), "expired"},
		"no exp":                              {extjwt.Mint(secretOld, noExp), "invalid"},
		"unknown secret":                      {extjwt.Mint(extjwt.NewSecret("stranger"), good), "invalid"},
		"names no viewer":                     {extjwt.Mint(secretOld, noViewer), "no viewer"},
		"garbage":                             {"not.a.jwt", ""},
		"empty":                               {"", ""},
		"too long":                            {strings.Repeat("a", MaxTokenLen+1), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(tc.token)
			require.Error(t, err)
			assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
			assert.Contains(t, errs.Public(err).Message, tc.msg)
		})
	}
}

func stripSignature(tok string) string { return tok[:strings.LastIndexByte(tok, '.')+1] }

func TestVerify_ChannelIDMustBeAString(t *testing.T) {
	v, c := newVerifier(t)
	claims := viewerClaims(c).Map()
	claims["channel_id"] = 1001
	_, err := v.Verify(extjwt.Sign(map[string]any{"alg": "HS256"}, claims, "HS256", rawKey(t, secretOld)))
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
}

// Found by the HTTP sweep (issue 12): an exp written as a string was read as a date, and
// ids of the wrong type were taken for no id at all.
func TestVerify_ClaimsOfTheWrongTypeAreRefused(t *testing.T) {
	v, c := newVerifier(t)
	for name, value := range map[string]any{
		"exp":            fmt.Sprint(c.now().Add(time.Hour).Unix()),
		"nbf":            "0",
		"iat":            []any{1},
		"user_id":        42,
		"opaque_user_id": map[string]any{"id": "U42"},
		"role":           true,
	} {
		claims := viewerClaims(c).Map()
		claims[name] = value
		_, err := v.Verify(extjwt.Sign(map[string]any{"alg": "HS256"}, claims, "HS256", rawKey(t, secretOld)))
		assert.Equal(t, errs.Unauthorized, errs.CodeOf(err), "%s = %#v", name, value)
	}
	_, err := v.Verify(extjwt.Sign(map[string]any{"alg": "HS256"}, viewerClaims(c).Map(), "HS256", rawKey(t, secretOld)))
	assert.NoError(t, err, "the same token with the right types")
}

func TestVerify_CachedTokenIsNotVerifiedAgainUntilItsExp(t *testing.T) {
	v, c := newVerifier(t)
	claims := viewerClaims(c)
	claims.Exp = c.now().Add(30 * time.Second) // sooner than CacheTTL
	tok := extjwt.Mint(secretOld, claims)
	_, err := v.Verify(tok)
	require.NoError(t, err)
	assert.Equal(t, 1, v.cache.len())

	// Without keys nothing can verify: a success now can only come from the cache.
	keys := v.keys
	v.keys = nil
	_, err = v.Verify(tok)
	assert.NoError(t, err, "served from the cache")

	c.add(31*time.Second + ClockLeeway)
	v.keys = keys
	_, err = v.Verify(tok)
	require.Error(t, err, "the cache never outlives exp")
	assert.Contains(t, errs.Public(err).Message, "expired")
}

func TestVerify_CacheEntryLivesAtMostCacheTTL(t *testing.T) {
	v, c := newVerifier(t)
	tok := extjwt.Mint(secretOld, viewerClaims(c)) // exp in an hour
	_, err := v.Verify(tok)
	require.NoError(t, err)
	v.keys = nil
	c.add(CacheTTL + time.Second)
	_, err = v.Verify(tok)
	assert.Error(t, err, "re-verified after CacheTTL")
}

func TestTokenCache_StaysBounded(t *testing.T) {
	c := newTokenCache(100)
	now := time.Unix(0, 0)
	for i := range 1000 {
		var k [32]byte
		k[0], k[1] = byte(i), byte(i>>8)
		c.put(k, Viewer{}, now.Add(time.Hour), now)
	}
	assert.LessOrEqual(t, c.len(), 100)
}

func TestRequireIdentity_RefusesOpaqueOnlyViewerWithMessage(t *testing.T) {
	err := Viewer{OpaqueUserID: "A1"}.RequireIdentity()
	require.Error(t, err)
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
	assert.Contains(t, errs.Public(err).Message, "share your identity")
	assert.NoError(t, Viewer{UserID: "1"}.RequireIdentity())
	assert.Equal(t, "o:A1", Viewer{OpaqueUserID: "A1"}.RateKey())
}

func TestAuthorization_NeedsBearerScheme(t *testing.T) {
	v, c := newVerifier(t)
	tok := extjwt.Mint(secretOld, viewerClaims(c))
	_, err := v.Authorization("Bearer " + tok)
	assert.NoError(t, err)
	_, err = v.Authorization("bearer " + tok)
	assert.NoError(t, err)
	for _, h := range []string{"", tok, "Basic " + tok, "Bearer ", "Bearer"} {
		_, err := v.Authorization(h)
		assert.Equal(t, errs.Unauthorized, errs.CodeOf(err), "header %q", h)
	}
}

func TestNewVerifier_RefusesSecretThatIsNotBase64(t *testing.T) {
	_, err := NewVerifier([]string{"%%%"}, channel, nil)
	assert.Error(t, err)
}

func TestAPIKey(t *testing.T) {
	k := NewAPIKey("desk-key")
	assert.NoError(t, k.Check("desk-key"))
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(k.Check("")))
	assert.Equal(t, errs.ForbiddenAPIKey, errs.CodeOf(k.Check("desk-key2")))
	assert.Equal(t, errs.ForbiddenAPIKey, errs.CodeOf(k.Check("desk")))
	assert.Equal(t, errs.ForbiddenAPIKey, errs.CodeOf(NewAPIKey("").Check("anything")), "no key configured refuses all")
}

// https://dev.twitch.tv/docs/extensions/reference/#jwt-schema: Twitch mints viewer,
// broadcaster and moderator tokens for people on the panel; "external" is an EBS's own.
func TestVerify_AcceptsViewerRolesAndRefusesExternal(t *testing.T) {
	v, c := newVerifier(t)
	for _, role := range []string{"viewer", "broadcaster", "moderator"} {
		cl := viewerClaims(c)
		cl.Role = role
		vw, err := v.Verify(extjwt.Mint(secretNew, cl))
		require.NoError(t, err, role)
		assert.Equal(t, role, vw.Role)
	}
	for _, role := range []string{"external", "", "admin", "Viewer"} {
		cl := viewerClaims(c)
		cl.Role = role
		_, err := v.Verify(extjwt.Mint(secretNew, cl))
		assert.Equal(t, errs.Unauthorized, errs.CodeOf(err), "role %q", role)
	}
}

func TestVerify_AllowsAFewSecondsOfClockDifference(t *testing.T) {
	v, c := newVerifier(t)
	cl := viewerClaims(c)
	cl.Exp = c.now().Add(-3 * time.Second) // Twitch's clock a little behind ours
	_, err := v.Verify(extjwt.Mint(secretNew, cl))
	assert.NoError(t, err)
	cl.Exp = c.now().Add(-ClockLeeway - time.Second)
	_, err = v.Verify(extjwt.Mint(secretNew, cl))
	assert.Equal(t, errs.Unauthorized, errs.CodeOf(err))
}
