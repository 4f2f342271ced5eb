package ports

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/roulette/domain"
)

const sample = `{"schemaVersion":1,"spinCycleId":"cb5f88d0-52b5-508d-94b1-0f5e1af08d5c","characterName":"Норинн","online":true,"capturedAt":"2026-04-04T12:05:07Z"}`

func TestDecodeWhoReport_ReadsTheAddonJSON(t *testing.T) {
	t.Parallel()
	r, err := DecodeWhoReport([]byte(sample))
	require.NoError(t, err)
	assert.Equal(t, 1, r.SchemaVersion)
	assert.Equal(t, "Норинн", r.CharacterName)
	assert.True(t, r.Online)
	assert.Equal(t, 2026, r.CapturedAt.Year())

	for _, bad := range []string{``, `{`, `[]`, `{"schemaVersion":"1"}`, `{"online":"yes"}`, `{"capturedAt":"yesterday"}`} {
		_, err := DecodeWhoReport([]byte(bad))
		assert.True(t, errs.Has(err, errs.Invalid), "%q: %v", bad, err)
	}
}

// FuzzWhoReport checks that any body either decodes and validates into a report the
// app can judge (schema 1, canonical UUID, trimmed non-empty name) or is refused as
// invalid_payload — never a panic or another error.
func FuzzWhoReport(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"schemaVersion":2,"spinCycleId":"x","characterName":"","online":false}`))
	f.Add([]byte(`{"schemaVersion":1,"spinCycleId":"{CB5F88D0-52B5-508D-94B1-0F5E1AF08D5C}","characterName":"  Straße ","online":false}`))
	f.Add([]byte(`{"schemaVersion":1e0,"spinCycleId":"urn:uuid:cb5f88d0-52b5-508d-94b1-0f5e1af08d5c","characterName":"\u0000"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeWhoReport(body)
		if err != nil {
			if !errs.Has(err, errs.Invalid) {
				t.Fatalf("decode error is not invalid_payload: %v", err)
			}
			return
		}
		r, err := domain.ParseReport(in.SchemaVersion, in.SpinCycleID, in.CharacterName, in.Online)
		if err != nil {
			if !errs.Has(err, errs.Invalid) {
				t.Fatalf("validation error is not invalid_payload: %v", err)
			}
			return
		}
		if in.SchemaVersion != 1 {
			t.Fatalf("accepted schema %d", in.SchemaVersion)
		}
		if u, err := uuid.Parse(r.SpinCycleID); err != nil || u.String() != r.SpinCycleID {
			t.Fatalf("accepted id %q is not canonical", r.SpinCycleID)
		}
		if r.CharacterName == "" || strings.TrimSpace(r.CharacterName) != r.CharacterName {
			t.Fatalf("accepted name %q", r.CharacterName)
		}
	})
}
