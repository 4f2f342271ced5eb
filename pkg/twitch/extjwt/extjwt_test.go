package extjwt

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMint_SignsHS256WithDecodedSecretAndCarriesClaims(t *testing.T) {
	secret := NewSecret("a")
	exp := time.Unix(1_900_000_000, 0)
	tok := Mint(secret, Claims{UserID: "42", OpaqueUserID: "U42", ChannelID: "7", Role: "viewer", Exp: exp})
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("want 3 segments, got %d", len(parts))
	}
	key, _ := base64.StdEncoding.DecodeString(secret)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if got := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != parts[2] {
		t.Fatalf("signature mismatch")
	}
	var hdr, claims map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(b, &hdr)
	b, _ = base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(b, &claims)
	if hdr["alg"] != "HS256" {
		t.Fatalf("alg = %v", hdr["alg"])
	}
	if claims["user_id"] != "42" || claims["channel_id"] != "7" || claims["opaque_user_id"] != "U42" || claims["exp"] != float64(exp.Unix()) {
		t.Fatalf("claims = %v", claims)
	}
}

func TestMint_LeavesUserIDOutWhenIdentityNotShared(t *testing.T) {
	tok := Mint(NewSecret("a"), Claims{OpaqueUserID: "A1", ChannelID: "7"})
	b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if strings.Contains(string(b), `"user_id"`) {
		t.Fatalf("user_id present: %s", b)
	}
}

func TestMintAlg_NoneHasEmptySignature(t *testing.T) {
	tok := MintAlg("none", nil, Claims{ChannelID: "7"})
	if !strings.HasSuffix(tok, ".") || strings.Count(tok, ".") != 2 {
		t.Fatalf("token %q", tok)
	}
}
