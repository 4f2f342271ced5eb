package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// The development helpers talk to a running system the way a developer would: a
// signed chat message enrolls, and the printed token reads the enrollment back.
func TestDevCommands_ChatAndToken(t *testing.T) {
	sys := allinonetest.Start(t, nil)
	t.Setenv("MGM_HTTP_ADDR", strings.TrimPrefix(sys.URL, "http://"))
	var out bytes.Buffer
	require.NoError(t, devCommand([]string{"chat", "3131", "!twgold", "Jaina"}, &out))
	assert.Contains(t, out.String(), "204")
	out.Reset()
	require.NoError(t, devCommand([]string{"token", "3131"}, &out))
	token := strings.TrimSpace(out.String())
	testenv.Eventually(t, 5*time.Second, func() bool {
		var me events.PoolMeReply
		status, _ := sys.Do(t, http.MethodGet, "/api/pool/me", token, nil, &me)
		return status == http.StatusOK && me.IsEnrolled && *me.CharacterName == "Jaina"
	}, "dev chat did not enroll")
	assert.Error(t, devCommand([]string{"bogus"}, &out))
}
