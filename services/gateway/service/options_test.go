package service

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
)

// net/http answers "OPTIONS * HTTP/1.1" itself with an empty 200 before any handler
// unless the server sets DisableGeneralOptionsHandler (found on the Desktop window,
// desktop/ui/options_test.go). The gateway, served by svc.Serve, now hands it to its
// routes like every other request, and answers with the standard error body.
func TestRun_OptionsAsteriskGetsTheStandardErrorBody(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, svc.Deps{Config: testConfig(), Log: testenv.Logger(t), NC: nc, JS: js, Listener: ln})
	}()
	t.Cleanup(func() { cancel(); <-done })
	addr := ln.Addr().String()
	testenv.Eventually(t, 5*time.Second, func() bool {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, "readyz over the listener")

	status, code := testenv.OptionsAsterisk(t, addr, addr)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "not_found", code)
}
