package domain

import (
	"strings"

	"github.com/mimiron/mgm/pkg/errs"
)

// ParseStatus reads a status from a client, ignoring ASCII case ("completed" is
// Completed); anything else, non-ASCII look-alikes included, is invalid_payload.
func ParseStatus(s string) (Status, error) {
	if s != "" && isASCII(s) {
		for _, st := range Statuses {
			if strings.EqualFold(s, string(st)) {
				return st, nil
			}
		}
	}
	return "", errs.E(errs.Invalid, "unknown gift request status %q", s).
		WithDetails(map[string]any{"field": "status", "allowed": Statuses})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
