package sweep

// The error contract one answer is held to (docs/product.md §6, proto/openapi.yaml
// Error), and how net/http's own answers to malformed requests are told apart.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/mimiron/mgm/pkg/errs"
)

// Check applies the error contract to one answer. protocol is true when net/http
// itself answered (or closed) a malformed request.
func Check(req Request, a Answer) (problems []string, protocol bool) {
	if a.Err != nil {
		if req.Malformed {
			return nil, true
		}
		return []string{"no answer: " + a.Err.Error()}, false
	}
	if req.Malformed && netHTTPAnswer(a) {
		switch a.Status {
		case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
			return nil, true // what HTTP asks for (RFC 9112 §6.1, RFC 9110 §15.6.6)
		}
		if a.Status >= 500 {
			return []string{fmt.Sprintf("net/http answered %d to a malformed request", a.Status)}, true
		}
		return nil, true
	}
	head := strings.EqualFold(req.Method, http.MethodHead)
	e, shapeErr := errorBody(a.Body)
	switch {
	case a.Status >= 500 && a.Status != http.StatusServiceUnavailable:
		problems = append(problems, fmt.Sprintf("status %d: no 5xx other than 503 unavailable", a.Status))
	case a.Status == http.StatusServiceUnavailable && !head && (shapeErr != nil || e.Code != errs.Unavailable):
		problems = append(problems, "503 without the unavailable code")
	}
	if a.Status >= 400 && !head {
		if shapeErr != nil {
			return append(problems, shapeErr.Error()), false
		}
		if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			problems = append(problems, fmt.Sprintf("error body with Content-Type %q", ct))
		}
		status, ok := errs.Documented(e.Code)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("undocumented code %q", e.Code))
		case status != a.Status:
			problems = append(problems, fmt.Sprintf("status %d but code %q is documented as %d", a.Status, e.Code, status))
		}
	}
	if a.Status >= 200 && a.Status < 400 && shapeErr == nil && e.Code != "" {
		problems = append(problems, fmt.Sprintf("status %d with the error body of %q", a.Status, e.Code))
	}
	if req.Refuse && a.Status >= 200 && a.Status < 300 {
		problems = append(problems, fmt.Sprintf("accepted (%d) with wrong credentials", a.Status))
	}
	if a.Status < 200 || a.Status > 599 {
		problems = append(problems, fmt.Sprintf("status %d", a.Status))
	}
	return problems, false
}

// netHTTPAnswer recognises the answers net/http writes itself, before any handler, to
// requests it cannot or will not parse: plain text such as "400 Bad Request" or "431
// Request Header Fields Too Large", "501 Unsupported transfer encoding" (RFC 9112 §6.1
// asks for 501 when a transfer coding is not understood), "505 HTTP Version Not
// Supported", and an empty 417 for an Expect other than 100-continue.
func netHTTPAnswer(a Answer) bool {
	if a.Status == http.StatusExpectationFailed && len(a.Body) == 0 {
		return true
	}
	if !strings.HasPrefix(a.Header.Get("Content-Type"), "text/plain") {
		return false
	}
	return bytes.HasPrefix(a.Body, []byte(fmt.Sprintf("%d ", a.Status))) ||
		(a.Status == http.StatusNotImplemented && bytes.Equal(a.Body, []byte("Unsupported transfer encoding")))
}

type errorShape struct {
	Code    errs.Code
	Message string
}

// errorBody checks the body is exactly {"code": string, "message": string, "details": {}}.
func errorBody(b []byte) (errorShape, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return errorShape{}, fmt.Errorf("not a JSON object: %q", cut(string(b), 80))
	}
	var e errorShape
	var details map[string]any
	if err := json.Unmarshal(m["code"], &e.Code); err != nil || e.Code == "" {
		return errorShape{}, fmt.Errorf("no code string in the error body")
	}
	if err := json.Unmarshal(m["message"], &e.Message); err != nil || m["message"] == nil {
		return e, fmt.Errorf("no message string in the error body")
	}
	if err := json.Unmarshal(m["details"], &details); err != nil || details == nil {
		return e, fmt.Errorf("no details object in the error body")
	}
	if len(m) != 3 {
		return e, fmt.Errorf("the error body has fields besides code, message and details")
	}
	return e, nil
}
