package ui

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Found by the long HTTP sweep (make fuzz, 5,000 random requests with a foreign Host):
// net/http answers "OPTIONS *" itself with 200 OK before any handler, so the window's
// Host check never saw it. The request now reaches guard like every other one: a foreign
// Host is refused, and so is the window's own host without X-MGM-Desktop.
func TestServe_OptionsAsteriskGoesThroughTheGuard(t *testing.T) {
	f := start(t)
	u, err := url.Parse(f.url)
	require.NoError(t, err)
	for _, host := range []string{"evil.example:" + u.Port(), u.Host} {
		conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		require.NoError(t, err)
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = fmt.Fprintf(conn, "OPTIONS * HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n", host)
		require.NoError(t, err)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		var body struct{ Code string }
		assert.NoError(t, json.NewDecoder(res.Body).Decode(&body), host)
		_ = res.Body.Close()
		_ = conn.Close()
		assert.Equal(t, http.StatusForbidden, res.StatusCode, host)
		assert.Equal(t, "forbidden", body.Code, host)
	}
}
