package ui

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/testenv"
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
		status, code := testenv.OptionsAsterisk(t, u.Host, host)
		assert.Equal(t, http.StatusForbidden, status, host)
		assert.Equal(t, "forbidden", code, host)
	}
}
