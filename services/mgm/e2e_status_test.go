package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// The regression of issue 12 part 2: a 20 MB unsigned delivery through the gateway's
// public address answered 200 OK with an invalid_payload body (straight to ingest, 400).
// For Twitch a 2xx means "delivered"; the status must be the error code's.
func TestE2E_OversizeEventSubDeliveryIs400ThroughTheGatewayAndStraightToIngest(t *testing.T) {
	sys := allinonetest.Start(t, nil)
	body := bytes.Repeat([]byte("x"), 20<<20)
	for _, c := range []struct {
		base   string
		expect bool // curl sends "Expect: 100-continue" before a large body
	}{{sys.URL, false}, {sys.URL, true}, {sys.IngestURL, false}, {sys.IngestURL, true}} {
		base := c.base
		req, err := http.NewRequest(http.MethodPost, base+"/api/twitch/eventsub", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if c.expect {
			req.Header.Set("Expect", "100-continue")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", base, b)
		var e struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		}
		require.NoError(t, json.Unmarshal(b, &e), "%s: %s", base, b)
		assert.Equal(t, "invalid_payload", e.Code)
		assert.NotNil(t, e.Details)
	}
}
