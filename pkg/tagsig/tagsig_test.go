package tagsig

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func addonSide(t *testing.T, nonce, desktopPub string) (Key, string) {
	k, a, err := Answer(nonce, desktopPub)
	require.NoError(t, err)
	return k, a
}

func TestPairing_BothSidesDeriveTheSameKey(t *testing.T) {
	p, err := NewPairing("pair-1")
	require.NoError(t, err)
	want, a := addonSide(t, "pair-1", p.Public())
	got, err := p.Finish(a)
	require.NoError(t, err)
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.Secret(), got.Secret())
	assert.Len(t, got.ID, IDLen)

	other, err := NewPairing("pair-1")
	require.NoError(t, err)
	k2, err := other.Finish(a)
	require.NoError(t, err)
	assert.NotEqual(t, got.ID, k2.ID, "another Desktop key pair gives another key")
}

func TestPairing_FinishRefusesBadAddonKeys(t *testing.T) {
	p, err := NewPairing("n")
	require.NoError(t, err)
	for _, pub := range []string{"", "abc", strings.Repeat("AB", 32), strings.Repeat("00", 32), strings.Repeat("zz", 32)} {
		_, err := p.Finish(pub)
		assert.Error(t, err, pub)
	}
}

func TestSign_BindsTheWholeTag(t *testing.T) {
	k, err := NewKey([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	line := k.Sign("[MGM_CONFIRM:a]")
	assert.Len(t, line, len("[MGM_CONFIRM:a]")+Len)
	tag, id, mac, ok := Split(line)
	require.True(t, ok)
	assert.Equal(t, "[MGM_CONFIRM:a]", tag)
	assert.Equal(t, k.ID, id)
	assert.True(t, k.Verify(tag, mac))
	assert.False(t, k.Verify("[MGM_CONFIRM:b]", mac), "a MAC seen on stream is worth nothing for another tag")
	assert.False(t, k.Verify("[MGM_ACCEPT:a]", mac))
	other, _ := NewKey([]byte("1123456789abcdef0123456789abcdef"))
	assert.False(t, other.Verify(tag, mac))
	assert.False(t, Key{}.Verify(tag, mac), "no key verifies nothing")
	_, err = NewKey([]byte("short"))
	assert.ErrorIs(t, err, ErrBadKey)
}

func TestSplit_NeedsExactlyAWellFormedSignatureAtTheEnd(t *testing.T) {
	k, _ := NewKey([]byte("0123456789abcdef0123456789abcdef"))
	good := k.Sign("[MGM_PONG:x]")
	for _, s := range []string{
		"[MGM_PONG:x]",
		good + " ",
		strings.ToUpper(good),
		good[:len(good)-2] + "]",
		good[len("[MGM_PONG:x]"):], // nothing signed
		"[MGM_PONG:x][MGM_SIG:1234567:0123456789abcdef0123456789abcdef0]",
	} {
		_, _, _, ok := Split(s)
		assert.False(t, ok, s)
	}
}

func FuzzSplit(f *testing.F) {
	k, _ := NewKey([]byte("0123456789abcdef0123456789abcdef"))
	f.Add(k.Sign("[MGM_PONG:x]"))
	f.Add("[MGM_PONG:x][MGM_SIG:zzzzzzzz:0123456789abcdef0123456789abcdef]")
	f.Fuzz(func(t *testing.T, s string) {
		tag, id, mac, ok := Split(s)
		if !ok {
			return
		}
		if tag == "" || len(id) != IDLen || len(mac) != MACLen || tag+Prefix+id+":"+mac+"]" != s {
			t.Fatalf("split %q into %q %q %q", s, tag, id, mac)
		}
	})
}
