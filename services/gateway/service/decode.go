package service

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
)

// maxBody bounds every JSON request body; the largest legitimate one is a few hundred bytes.
const maxBody = 64 << 10

// readBody reads the request body, refusing bodies over maxBody.
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errs.E(errs.Invalid, "request body larger than %d bytes", maxBody)
		}
		return nil, errs.Wrap(errs.Invalid, err, "could not read request body")
	}
	return b, nil
}

// decodeBody decodes a JSON object body into v.
func decodeBody(c echo.Context, v any) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}

func decodeJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return errs.Wrap(errs.Invalid, err, "request body is not the expected JSON object")
	}
	return nil
}

// parseID checks a path or body id is a UUID.
func parseID(name, s string) (string, error) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", errs.E(errs.Invalid, "%s must be a UUID", name).WithDetails(map[string]any{"field": name})
	}
	return u.String(), nil
}

// whoWire is the [MGM_WHO] JSON with every field optional, so a missing one is told
// apart from a zero one.
type whoWire struct {
	SchemaVersion *int       `json:"schemaVersion"`
	SpinCycleID   *string    `json:"spinCycleId"`
	CharacterName *string    `json:"characterName"`
	Online        *bool      `json:"online"`
	CapturedAt    *time.Time `json:"capturedAt"`
}

// maxReportName bounds the reported name; the roulette compares it with the candidate's.
const maxReportName = 64

// DecodeWhoReport decodes and checks a verify-candidate body: schemaVersion 1 and every
// field present. Whether the report fits a cycle is the roulette's decision.
func DecodeWhoReport(b []byte) (events.WhoReport, error) {
	var w whoWire
	if err := decodeJSON(b, &w); err != nil {
		return events.WhoReport{}, err
	}
	missing := func(field string) error {
		return errs.E(errs.Invalid, "%s is required", field).WithDetails(map[string]any{"field": field})
	}
	switch {
	case w.SchemaVersion == nil:
		return events.WhoReport{}, missing("schemaVersion")
	case *w.SchemaVersion != 1:
		return events.WhoReport{}, errs.E(errs.Invalid, "unsupported schemaVersion %d (want 1)", *w.SchemaVersion).
			WithDetails(map[string]any{"field": "schemaVersion"})
	case w.SpinCycleID == nil || *w.SpinCycleID == "":
		return events.WhoReport{}, missing("spinCycleId")
	case w.CharacterName == nil || strings.TrimSpace(*w.CharacterName) == "":
		return events.WhoReport{}, missing("characterName")
	case w.Online == nil:
		return events.WhoReport{}, missing("online")
	case w.CapturedAt == nil || w.CapturedAt.IsZero():
		return events.WhoReport{}, missing("capturedAt")
	}
	id, err := parseID("spinCycleId", *w.SpinCycleID)
	if err != nil {
		return events.WhoReport{}, err
	}
	name := strings.TrimSpace(*w.CharacterName)
	if len(name) > maxReportName {
		return events.WhoReport{}, errs.E(errs.Invalid, "characterName is too long").WithDetails(map[string]any{"field": "characterName"})
	}
	return events.WhoReport{
		SchemaVersion: 1,
		SpinCycleID:   id,
		CharacterName: name,
		Online:        *w.Online,
		CapturedAt:    w.CapturedAt.UTC(),
	}, nil
}
