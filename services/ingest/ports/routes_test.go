package ports

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// Found by the HTTP sweep (issue 12): ServeMux answered the request-target "*" with a
// bare 400 and no body.
func TestRoutes_AsteriskTargetGetsTheErrorBody(t *testing.T) {
	h := Routes(&Webhook{Log: zap.NewNop()}, nil, http.NotFoundHandler())
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "*", nil))
		assert.Equal(t, http.StatusNotFound, rec.Code, method)
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "%s: %q", method, rec.Body.String())
		assert.Equal(t, "not_found", body["code"])
		assert.Contains(t, body, "details")
	}
}
