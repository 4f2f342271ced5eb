// Package tagsig is the proof of origin of the addon's tags (docs/product.md §9, "Only
// the streamer's own client may speak"), the Go half of a wire format whose Lua half is
// addon/MimironsGoldOMatic/Crypto.lua and Emit.lua:
//
//   - Pairing. The Desktop types /run MGM_Pair("<nonce>","<D>") with D its X25519 public
//     key (RFC 7748) in lowercase hex. The addon draws its own scalar, computes A and the
//     shared secret S = X25519(a, D), derives
//     K = HMAC-SHA-256(S, "MGM pair v1|<nonce>|<D hex>|<A hex>"), keeps K in its
//     SavedVariables and prints [MGM_PAIR:<nonce>]{"pub":"<A hex>"} signed with K. The
//     Desktop derives the same K from A. Nothing secret is ever typed, printed or shown:
//     whoever watches the stream sees D and A only.
//   - Key id: the first 8 hex digits of HMAC-SHA-256(K, "MGM key id").
//   - Signature: every tag line is <tag>[MGM_SIG:<key id>:<mac>], where <tag> is the
//     tag's exact text (head and JSON) and <mac> the first 16 bytes, in lowercase hex, of
//     HMAC-SHA-256(K, "MGM tag v1|" + <tag>). The MAC binds kind, id and payload, so a
//     signature seen on stream is worth nothing for any other tag.
package tagsig

import (
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Wire constants.
const (
	// Prefix starts the signature that ends every signed tag line.
	Prefix = "[MGM_SIG:"
	// IDLen is the length of a key id (hex digits), MACLen of a MAC.
	IDLen  = 8
	MACLen = 32
	// Len is the number of bytes a signature adds to a line (51).
	Len = len(Prefix) + IDLen + 1 + MACLen + 1
)

const (
	pairLabel = "MGM pair v1|"
	idLabel   = "MGM key id"
	tagLabel  = "MGM tag v1|"
)

// Key is a pairing's shared key.
type Key struct {
	ID     string
	secret []byte
}

// ErrBadKey is returned for a secret that is not 32 bytes.
var ErrBadKey = errors.New("tagsig: a key is 32 bytes")

// NewKey makes a Key from its 32-byte secret (as stored).
func NewKey(secret []byte) (Key, error) {
	if len(secret) != 32 {
		return Key{}, ErrBadKey
	}
	s := append([]byte(nil), secret...)
	m := hmac.New(sha256.New, s)
	m.Write([]byte(idLabel))
	return Key{ID: hex.EncodeToString(m.Sum(nil))[:IDLen], secret: s}, nil
}

// Secret is the key's 32 bytes (to be stored sealed).
func (k Key) Secret() []byte { return append([]byte(nil), k.secret...) }

// Valid reports whether k holds a key.
func (k Key) Valid() bool { return len(k.secret) == 32 }

// Derive is the pairing's key derivation: shared is X25519(a, D) = X25519(d, A).
func Derive(shared []byte, nonce, desktopPub, addonPub string) Key {
	m := hmac.New(sha256.New, shared)
	m.Write([]byte(pairLabel + nonce + "|" + desktopPub + "|" + addonPub))
	k, _ := NewKey(m.Sum(nil))
	return k
}

// Pairing is the Desktop's half of one pairing.
type Pairing struct {
	Nonce string
	priv  *ecdh.PrivateKey
}

// NewPairing draws a fresh X25519 key pair for nonce.
func NewPairing(nonce string) (*Pairing, error) {
	priv, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	return &Pairing{Nonce: nonce, priv: priv}, nil
}

// Public is D, lowercase hex.
func (p *Pairing) Public() string { return hex.EncodeToString(p.priv.PublicKey().Bytes()) }

// Finish derives the key from the addon's public key A (lowercase hex).
func (p *Pairing) Finish(addonPub string) (Key, error) {
	raw, err := hex.DecodeString(addonPub)
	if err != nil || len(raw) != 32 || hex.EncodeToString(raw) != addonPub {
		return Key{}, fmt.Errorf("tagsig: addon public key %q is not 64 lowercase hex digits", addonPub)
	}
	pub, err := ecdh.X25519().NewPublicKey(raw)
	if err != nil {
		return Key{}, fmt.Errorf("tagsig: addon public key: %w", err)
	}
	shared, err := p.priv.ECDH(pub) // refuses a low-order point (all-zero secret)
	if err != nil {
		return Key{}, fmt.Errorf("tagsig: %w", err)
	}
	return Derive(shared, p.Nonce, p.Public(), addonPub), nil
}

// Answer is the addon's half of a pairing written in Go, for fakes of the addon (the
// real one is Crypto.lua): it draws a key pair, derives the key for the Desktop's public
// key and returns it with the addon's public key (lowercase hex).
func Answer(nonce, desktopPub string) (Key, string, error) {
	raw, err := hex.DecodeString(desktopPub)
	if err != nil || len(raw) != 32 {
		return Key{}, "", fmt.Errorf("tagsig: Desktop public key %q is not 64 hex digits", desktopPub)
	}
	pub, err := ecdh.X25519().NewPublicKey(raw)
	if err != nil {
		return Key{}, "", err
	}
	priv, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		return Key{}, "", err
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return Key{}, "", err
	}
	a := hex.EncodeToString(priv.PublicKey().Bytes())
	return Derive(shared, nonce, desktopPub, a), a, nil
}

// MAC is the signature's MAC of tag (32 lowercase hex digits).
func (k Key) MAC(tag string) string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(tagLabel + tag))
	return hex.EncodeToString(m.Sum(nil))[:MACLen]
}

// Sign returns tag with its signature appended, as the addon prints it.
func (k Key) Sign(tag string) string {
	return tag + Prefix + k.ID + ":" + k.MAC(tag) + "]"
}

// Verify reports whether mac is tag's MAC under k (in constant time).
func (k Key) Verify(tag, mac string) bool {
	if !k.Valid() {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(k.MAC(tag)), []byte(mac)) == 1
}

// Split cuts a signed tag line into the tag and its signature's key id and MAC. ok is
// false unless s ends with exactly one well-formed signature (lowercase hex of the right
// lengths) and has text before it.
func Split(s string) (tag, id, mac string, ok bool) {
	if len(s) <= Len || s[len(s)-1] != ']' {
		return "", "", "", false
	}
	sig := s[len(s)-Len:]
	if !strings.HasPrefix(sig, Prefix) || sig[len(Prefix)+IDLen] != ':' {
		return "", "", "", false
	}
	id = sig[len(Prefix) : len(Prefix)+IDLen]
	mac = sig[len(Prefix)+IDLen+1 : Len-1]
	if !lowerHex(id) || !lowerHex(mac) {
		return "", "", "", false
	}
	return s[:len(s)-Len], id, mac, true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
