package oauth_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

type canned struct {
	status int
	body   []byte
}

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(c.body)), Request: r}, nil
}

// FuzzAnswers feeds arbitrary OAuth answers to every call: none may panic, and no error
// may carry the secrets the client sent.
func FuzzAnswers(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"a","refresh_token":"r","expires_in":100,"scope":["user:bot"],"token_type":"bearer"}`))
	f.Add(200, []byte(`{"access_token":"a","scope":"user:bot user:read:chat"}`))
	f.Add(200, []byte(`{"client_id":"c","login":"l","user_id":"1","scopes":null,"expires_in":-5}`))
	f.Add(200, []byte(`{"device_code":"d","expires_in":1,"interval":0,"user_code":"U","verification_uri":"https://x"}`))
	f.Add(400, []byte(`{"status":400,"message":"authorization_pending"}`))
	f.Add(400, []byte(`{"status":400,"message":"Invalid refresh token"}`))
	f.Add(401, []byte(`{"status":401,"message":"invalid access token"}`))
	f.Add(403, []byte(`{"status":403,"message":"invalid client secret"}`))
	f.Add(500, []byte(`<html>oops</html>`))
	f.Add(200, []byte(`null`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		c := &oauth.Client{BaseURL: "http://twitch.invalid", ClientID: "cid", ClientSecret: "client-SECRETVALUE",
			HTTP: &http.Client{Transport: canned{status, body}}}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		check := func(err error) {
			if err != nil && strings.Contains(err.Error(), "SECRETVALUE") {
				t.Fatalf("error carries a credential: %v", err)
			}
		}
		_, err := c.Refresh(ctx, "refresh-SECRETVALUE")
		check(err)
		_, err = c.Validate(ctx, "access-SECRETVALUE")
		check(err)
		_, err = c.ClientCredentials(ctx)
		check(err)
		check(c.Revoke(ctx, "access-SECRETVALUE"))
		d, err := c.StartDevice(ctx, []string{"user:bot"})
		check(err)
		if err == nil {
			d.Interval = time.Millisecond
			d.DeviceCode = "device-SECRETVALUE"
			_, err = c.Wait(ctx, d)
			check(err)
		}
	})
}
