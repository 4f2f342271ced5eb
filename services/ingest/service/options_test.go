package service_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mimiron/mgm/pkg/testenv"
)

// net/http answers "OPTIONS * HTTP/1.1" itself with an empty 200 before any handler
// unless the server sets DisableGeneralOptionsHandler (found on the Desktop window,
// desktop/ui/options_test.go). Ingest, served by svc.Serve, now hands it to its routes
// like every other request, and answers with the standard error body.
func TestWebhook_OptionsAsteriskGetsTheStandardErrorBody(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	addr := strings.TrimPrefix(in.base, "http://")
	status, code := testenv.OptionsAsterisk(t, addr, addr)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "not_found", code)
}
