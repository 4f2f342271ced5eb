package eventsub

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Twitch's documentation describes the signature (HMAC-SHA256 over message id +
// timestamp + raw body, "sha256=" + hex) with sample code but publishes no fixed test
// vector, so the vectors below are checked independently of this package:
//
//   - twitchDelivery is a real webhook_callback_verification delivered by Twitch,
//     captured in the test suite of github.com/dnsge/twitch-eventsub-framework (secret
//     "hey this is really secret"). Its signature reproduces with
//     printf '%s' "$id" "$ts" "$body" | openssl dgst -sha256 -hmac 'hey this is really secret'
//   - ownVector is a channel.chat.message body of ours, its signature computed the same
//     way with openssl (secret "mgm-test-secret-0123"), not with this package.
var (
	twitchDelivery = vector{
		secret:    "hey this is really secret",
		id:        "e7f8151c-5849-48d5-8db9-234618442877",
		timestamp: "2023-03-09T04:44:48.062323705Z",
		body:      `{"subscription":{"id":"ef7e8fba-6c32-4ead-965d-61f21660d095","status":"webhook_callback_verification_pending","type":"channel.update","version":"1","condition":{"broadcaster_user_id":"132532813"},"transport":{"method":"webhook","callback":"https://testing.proxy.b.dnsge.org/webhooks"},"created_at":"2023-03-09T04:44:48.057734342Z","cost":0},"challenge":"olYc8-klwIH9BthhWWhTU-AhJQ0eatixVF2y6x3G5kk"}`,
		signature: "sha256=9afe337a0526eda98c12cd5c6892f5eec5c86a2f0fde7e0655764382d464bce8",
	}
	ownVector = vector{
		secret:    "mgm-test-secret-0123",
		id:        "1f0c4f3e-3b2a-4c5d-9e8f-0a1b2c3d4e5f",
		timestamp: "2024-05-01T12:00:00.123456789Z",
		body:      `{"subscription":{"id":"sub-1","type":"channel.chat.message","version":"1","status":"enabled"},"event":{"broadcaster_user_id":"1971641","chatter_user_id":"4145994","chatter_user_login":"viewer32","chatter_user_name":"Viewer32","message_id":"cc106a89-1814-919d-454c-f4f2f970aae7","message":{"text":"!twgold Thrall"},"badges":[{"set_id":"subscriber","id":"12","info":"16"}]}}`,
		signature: "sha256=eed01f4b3a4fd74e39b0aaad240162599e0653d192dd43a57dec56d3ceae3d53",
	}
)

type vector struct{ secret, id, timestamp, body, signature string }

func TestSign_MatchesIndependentVectors(t *testing.T) {
	for name, v := range map[string]vector{"twitch delivery": twitchDelivery, "own chat message": ownVector} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, v.signature, Sign(v.secret, v.id, v.timestamp, []byte(v.body)))
			assert.True(t, Verify(v.secret, v.id, v.timestamp, []byte(v.body), v.signature))
		})
	}
}

func TestVerify_RefusesAnyChange(t *testing.T) {
	v := twitchDelivery
	last := v.signature[len(v.signature)-1]
	flipped := v.signature[:len(v.signature)-1] + string("0123456789abcdef"[(int(last)+1)%16])
	cases := map[string]vector{
		"other secret":           {v.secret + "!", v.id, v.timestamp, v.body, v.signature},
		"other id":               {v.secret, v.id + "x", v.timestamp, v.body, v.signature},
		"other timestamp":        {v.secret, v.id, "2023-03-09T04:44:48.062323706Z", v.body, v.signature},
		"body with a space more": {v.secret, v.id, v.timestamp, v.body + " ", v.signature},
		"one hex digit changed":  {v.secret, v.id, v.timestamp, v.body, flipped},
		"no prefix":              {v.secret, v.id, v.timestamp, v.body, v.signature[len("sha256="):]},
		"other algorithm":        {v.secret, v.id, v.timestamp, v.body, "sha1=" + v.signature[len("sha256="):]},
		"truncated":              {v.secret, v.id, v.timestamp, v.body, v.signature[:len(v.signature)-2]},
		"not hex":                {v.secret, v.id, v.timestamp, v.body, "sha256=" + string(make([]byte, 64))},
		"empty":                  {v.secret, v.id, v.timestamp, v.body, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			assert.False(t, Verify(c.secret, c.id, c.timestamp, []byte(c.body), c.signature))
		})
	}
}

func TestVerify_EmptySecretNeverVerifies(t *testing.T) {
	sig := Sign("", "id", "ts", []byte("{}"))
	assert.False(t, Verify("", "id", "ts", []byte("{}"), sig))
}

func TestVerify_AcceptsUpperCaseHex(t *testing.T) {
	v := ownVector
	upper := "sha256=" + "EED01F4B3A4FD74E39B0AAAD240162599E0653D192DD43A57DEC56D3CEAE3D53"
	assert.True(t, Verify(v.secret, v.id, v.timestamp, []byte(v.body), upper))
}

func TestParseTimestamp_ReadsTwitchFormats(t *testing.T) {
	for _, s := range []string{"2023-03-09T04:44:48.062323705Z", "2023-03-09T04:44:48Z", "2023-03-09T06:44:48.5+02:00"} {
		_, err := ParseTimestamp(s)
		assert.NoError(t, err, s)
	}
	for _, s := range []string{"", "yesterday", "2023-03-09 04:44:48", "1678337088"} {
		_, err := ParseTimestamp(s)
		assert.Error(t, err, s)
	}
}
