package service_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// net/http answers "OPTIONS * HTTP/1.1" itself with an empty 200 before any handler
// unless the server sets DisableGeneralOptionsHandler (found on the Desktop window,
// desktop/ui/options_test.go). Ingest, served by svc.Serve, now hands it to its routes
// like every other request, and answers with the standard error body.
func TestWebhook_OptionsAsteriskGetsTheStandardErrorBody(t *testing.T) {
	t.Parallel()
	in := start(t, secret)
	addr := strings.TrimPrefix(in.base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = fmt.Fprintf(conn, "OPTIONS * HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n", addr)
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	var body struct{ Code, Message string }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body), "status %d", res.StatusCode)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "not_found", body.Code)
}
