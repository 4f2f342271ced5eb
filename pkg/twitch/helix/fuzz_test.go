package helix_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/helix"
)

// canned answers every request in process: the OAuth token endpoint with tokenBody,
// Helix with status and body.
type canned struct {
	status          int
	body, tokenBody []byte
}

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	status, body := c.status, c.body
	if strings.HasPrefix(r.URL.Path, "/oauth2/") {
		status, body = http.StatusOK, c.tokenBody
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Ratelimit-Reset": {"1700000000"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// FuzzSendChatMessageAnswer feeds arbitrary Helix and OAuth answers to the client: it
// must never panic, and its errors must never carry the credentials.
func FuzzSendChatMessageAnswer(f *testing.F) {
	tok := []byte(`{"access_token":"tok-SECRETVALUE","expires_in":3600,"token_type":"bearer"}`)
	f.Add(200, []byte(`{"data":[{"message_id":"abc","is_sent":true,"drop_reason":null}]}`), tok)
	f.Add(200, []byte(`{"data":[{"message_id":"","is_sent":false,"drop_reason":{"code":"msg_duplicate","message":"dup"}}]}`), tok)
	f.Add(200, []byte(`{"data":[]}`), tok)
	f.Add(429, []byte(`{"error":"Too Many Requests","status":429,"message":"slow down"}`), tok)
	f.Add(503, []byte(`<html>bad gateway</html>`), tok)
	f.Add(401, []byte(`{"message":"Invalid OAuth token"}`), tok)
	f.Add(200, []byte(`{"data":[{"is_sent":"yes"}]}`), []byte(`{"access_token":""}`))
	f.Add(200, []byte(`null`), []byte(`not json`))
	f.Fuzz(func(t *testing.T, status int, body, tokenBody []byte) {
		if status < 100 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		cfg := config.Defaults()
		cfg.ClientID, cfg.ClientSecret = "cid", "client-SECRETVALUE"
		c := helix.New(cfg, helix.WithHTTPClient(&http.Client{Transport: canned{status, body, tokenBody}}))
		_, err := c.SendChatMessage(context.Background(), "1", "1", "hello")
		if err != nil && strings.Contains(err.Error(), "SECRETVALUE") {
			t.Fatalf("error carries a credential: %v", err)
		}
	})
}
