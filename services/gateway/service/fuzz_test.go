package service

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// FuzzDecodeWhoReport feeds arbitrary verify-candidate bodies to the decoder: it must
// never panic, and whatever it accepts is a complete schemaVersion 1 report.
func FuzzDecodeWhoReport(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":1,"spinCycleId":"0b9d3f7e-5c1a-4e2b-8f00-112233445566","characterName":"Norinn","online":true,"capturedAt":"2030-01-01T12:05:10Z"}`))
	f.Add([]byte(`{"schemaVersion":1,"spinCycleId":"0b9d3f7e-5c1a-4e2b-8f00-112233445566","characterName":"Норинн","online":false,"capturedAt":"2030-01-01T12:05:10.123+03:00"}`))
	f.Add([]byte(`{"schemaVersion":2}`))
	f.Add([]byte(`{"schemaVersion":1,"spinCycleId":null,"characterName":"","online":null}`))
	f.Add([]byte(`[MGM_WHO]{"schemaVersion":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		rep, err := DecodeWhoReport(body)
		if err != nil {
			return
		}
		if rep.SchemaVersion != 1 {
			t.Fatalf("accepted schemaVersion %d", rep.SchemaVersion)
		}
		if _, err := uuid.Parse(rep.SpinCycleID); err != nil || len(rep.SpinCycleID) != 36 {
			t.Fatalf("accepted spinCycleId %q", rep.SpinCycleID)
		}
		if strings.TrimSpace(rep.CharacterName) != rep.CharacterName || rep.CharacterName == "" || len(rep.CharacterName) > maxReportName {
			t.Fatalf("accepted characterName %q", rep.CharacterName)
		}
		if rep.CapturedAt.IsZero() {
			t.Fatal("accepted a report without capturedAt")
		}
	})
}
