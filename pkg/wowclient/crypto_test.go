package wowclient_test

import (
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

// luaStr writes s as a Lua string literal with every byte escaped.
func luaStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "\\%d", s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func evalHex(t *testing.T, c *wowclient.Client, expr string) string {
	t.Helper()
	v, err := c.Eval("MimironsGoldOMatic.Crypto.Hex(" + expr + ")")
	require.NoError(t, err, expr)
	s, ok := v.(string)
	require.True(t, ok, "%v", v)
	return s
}

// The addon's SHA-256, HMAC-SHA-256 and X25519 agree with Go's crypto on the RFC test
// vectors and on random inputs of every length around the block boundaries, under both
// conventions the client's bit library might have (signed or unsigned results).
func TestCrypto_LuaMatchesGo(t *testing.T) {
	for _, unsigned := range []bool{false, true} {
		t.Run(fmt.Sprintf("unsigned=%t", unsigned), func(t *testing.T) {
			c := newClient(t, func(o *wowclient.Options) { o.BitUnsigned = unsigned })
			assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
				evalHex(t, c, `MimironsGoldOMatic.Crypto.Sha256("abc")`), "FIPS 180-4 example")
			// RFC 4231 test case 2
			assert.Equal(t, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
				evalHex(t, c, `MimironsGoldOMatic.Crypto.Hmac(MimironsGoldOMatic.Crypto.HmacKey("Jefe"), "what do ya want for nothing?")`))
			for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 200, 1000} {
				msg := make([]byte, n)
				_, _ = rand.Read(msg)
				want := sha256.Sum256(msg)
				assert.Equal(t, hex.EncodeToString(want[:]), evalHex(t, c, "MimironsGoldOMatic.Crypto.Sha256("+luaStr(string(msg))+")"), "len %d", n)
				key := make([]byte, 1+n%90)
				_, _ = rand.Read(key)
				m := hmac.New(sha256.New, key)
				m.Write(msg)
				assert.Equal(t, hex.EncodeToString(m.Sum(nil)),
					evalHex(t, c, "MimironsGoldOMatic.Crypto.Hmac(MimironsGoldOMatic.Crypto.HmacKey("+luaStr(string(key))+"), "+luaStr(string(msg))+")"), "len %d", n)
			}
			// RFC 7748 §5.2, first vector
			k, _ := hex.DecodeString("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
			u, _ := hex.DecodeString("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
			assert.Equal(t, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
				evalHex(t, c, "MimironsGoldOMatic.Crypto.X25519("+luaStr(string(k))+", "+luaStr(string(u))+")"))
			// a random exchange with Go's X25519
			for i := 0; i < 2; i++ {
				priv, err := ecdh.X25519().GenerateKey(rand.Reader)
				require.NoError(t, err)
				scalar := make([]byte, 32)
				_, _ = rand.Read(scalar)
				luaPub := evalHex(t, c, "MimironsGoldOMatic.Crypto.X25519("+luaStr(string(scalar))+", MimironsGoldOMatic.Crypto.BASE)")
				pubRaw, _ := hex.DecodeString(luaPub)
				pub, err := ecdh.X25519().NewPublicKey(pubRaw)
				require.NoError(t, err)
				want, err := priv.ECDH(pub)
				require.NoError(t, err)
				assert.Equal(t, hex.EncodeToString(want),
					evalHex(t, c, "MimironsGoldOMatic.Crypto.X25519("+luaStr(string(scalar))+", "+luaStr(string(priv.PublicKey().Bytes()))+")"))
			}
		})
	}
}

// TestCrypto_Speed reports how long the headless client's Lua (gopher-lua, slower than
// the real client's) takes for the expensive steps; it fails only when something is
// absurdly slow, which no machine load explains.
func TestCrypto_Speed(t *testing.T) {
	c := newClient(t)
	item := `{"itemId":33470,"name":"Frostweave Cloth","count":32,"quality":1},`
	list := "[MGM_ITEMS:" + giftID + "][" + strings.Repeat(item, 5000/len(item)) + "]"
	start := time.Now()
	require.NoError(t, c.Run(`local C = MimironsGoldOMatic.Crypto
		local ctx = C.HmacKey(C.Sha256("k"))
		local s = `+luaStr(list)+`
		for i = 1, #s, 200 do C.Hmac(ctx, "MGM tag v1|" .. s:sub(i, i + 199)) end`))
	macs := time.Since(start)
	start = time.Now()
	require.NoError(t, c.Run(`local C = MimironsGoldOMatic.Crypto
		C.X25519(C.Sha256("a"), C.BASE)`))
	x := time.Since(start)
	t.Logf("gopher-lua: HMAC of a %d-byte item list in 200-byte lines: %v; one X25519: %v", len(list), macs, x)
	assert.Less(t, macs, 20*time.Second)
	assert.Less(t, x, 60*time.Second)
}
