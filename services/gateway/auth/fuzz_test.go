package auth

import (
	"testing"
	"time"

	"github.com/mimiron/mgm/pkg/twitch/extjwt"
)

// FuzzAuthorization feeds arbitrary Authorization headers through the whole viewer
// check: it must never panic, and whatever it admits must name a viewer of the
// configured channel with a future exp.
func FuzzAuthorization(f *testing.F) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	good := extjwt.Claims{UserID: "42", OpaqueUserID: "U42", ChannelID: channel, Role: "viewer", Exp: now.Add(time.Hour)}
	f.Add("Bearer " + extjwt.Mint(secretOld, good))
	f.Add("Bearer " + extjwt.MintAlg("none", nil, good))
	f.Add("Bearer " + extjwt.MintAlg("HS512", []byte("k"), good))
	f.Add("bearer a.b.c")
	f.Add("Bearer eyJhbGciOiJIUzI1NiJ9..")
	f.Add("Bearer eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Add("Basic Zm9vOmJhcg==")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		v, err := NewVerifier([]string{secretOld, secretNew}, channel, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		vw, err := v.Authorization(header)
		if err != nil {
			return
		}
		if vw.UserID == "" && vw.OpaqueUserID == "" {
			t.Fatalf("admitted a token naming no viewer: %q", header)
		}
		if !vw.Exp.After(now) {
			t.Fatalf("admitted an expired token: %q", header)
		}
		// A second call is answered from the cache with the same viewer.
		again, err := v.Authorization(header)
		if err != nil || again != vw {
			t.Fatalf("cached answer differs: %v %+v %+v", err, again, vw)
		}
	})
}
