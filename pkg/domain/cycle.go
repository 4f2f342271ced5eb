package domain

import (
	"time"

	"github.com/google/uuid"
)

// spinCycleNamespace is the UUIDv5 namespace of spin cycle ids. Never change it: ids
// already stored and shown to the Desktop derive from it.
var spinCycleNamespace = uuid.MustParse("6f1b3c52-8a0e-4d6b-9a57-2f4c1e0d9b31")

// SpinCycleID is the id of the cycle drawn at boundary: a UUIDv5 of the boundary instant,
// so every roulette replica and the gateway name the same cycle alike, even before it
// draws.
func SpinCycleID(boundary time.Time) string {
	return uuid.NewSHA1(spinCycleNamespace, []byte(boundary.UTC().Format(time.RFC3339Nano))).String()
}
