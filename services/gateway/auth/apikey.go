package auth

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/mimiron/mgm/pkg/errs"
)

// HeaderAPIKey carries the Desktop's key.
const HeaderAPIKey = "X-MGM-ApiKey"

// APIKey checks the Desktop's X-MGM-ApiKey header in constant time.
type APIKey struct {
	sum        [32]byte
	configured bool
}

// NewAPIKey holds the configured key (MGM_API_KEY). With no key configured every
// Desktop call is refused.
func NewAPIKey(key string) APIKey {
	return APIKey{sum: sha256.Sum256([]byte(key)), configured: key != ""}
}

// Check refuses a missing key with 401 unauthorized and a wrong one with 403
// forbidden_apikey. Both sides are hashed first so the comparison's time depends on
// neither the key's content nor its length.
func (a APIKey) Check(got string) error {
	if got == "" {
		return errs.E(errs.Unauthorized, "missing %s header", HeaderAPIKey)
	}
	sum := sha256.Sum256([]byte(got))
	if subtle.ConstantTimeCompare(sum[:], a.sum[:]) != 1 || !a.configured {
		return errs.E(errs.ForbiddenAPIKey, "wrong API key")
	}
	return nil
}
