package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad_DefaultsWhenUnset(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
	assert.Equal(t, 300*time.Second, c.SpinInterval)
	assert.Equal(t, []string{"subscriber", "founder"}, c.SubscriberBadges)
	assert.Equal(t, "https://api.twitch.tv", c.HelixBaseURL)
	assert.Equal(t, 5, c.ViewerWritePerMin)
	assert.False(t, c.DevSkipSubscriber)
	assert.Equal(t, 1, c.NATSReplicas)
}

func TestLoad_ReadsProductNames(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"MGM_HTTP_ADDR":                 "0.0.0.0:9000",
		"MGM_API_KEY":                   "k",
		"MGM_SPIN_INTERVAL":             "2.5",
		"MGM_DEV_SKIP_SUBSCRIBER_CHECK": "true",
		"MGM_CORS_ORIGINS":              "https://a.ext-twitch.tv, https://b.ext-twitch.tv,",
		"TWITCH_EXTENSION_SECRETS":      "czE=,czI=",
		"TWITCH_HELIX_BASE_URL":         "http://127.0.0.1:9/",
		"TWITCH_EVENTSUB_SECRET":        "0123456789",
		"MGM_NATS_REPLICAS":             "3",
	}))
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:9000", c.HTTPAddr)
	assert.Equal(t, 2500*time.Millisecond, c.SpinInterval)
	assert.True(t, c.DevSkipSubscriber)
	assert.Equal(t, []string{"https://a.ext-twitch.tv", "https://b.ext-twitch.tv"}, c.CORSOrigins)
	assert.Equal(t, []string{"czE=", "czI="}, c.ExtensionSecrets)
	assert.Equal(t, "http://127.0.0.1:9", c.HelixBaseURL, "trailing slash trimmed")
	assert.Equal(t, 3, c.NATSReplicas)
}

func TestLoad_RefusesBadValues(t *testing.T) {
	t.Parallel()
	for name, m := range map[string]map[string]string{
		"interval not a number": {"MGM_SPIN_INTERVAL": "five"},
		"interval zero":         {"MGM_SPIN_INTERVAL": "0"},
		"bool":                  {"MGM_DEV_SKIP_SUBSCRIBER_CHECK": "maybe"},
		"eventsub secret short": {"TWITCH_EVENTSUB_SECRET": "short"},
		"rate not a number":     {"MGM_RATE_VIEWER_WRITES_PER_MIN": "x"},
		"rpc timeout not a dur": {"MGM_RPC_TIMEOUT": "2"},
		"replicas zero":         {"MGM_NATS_REPLICAS": "0"},
		"replicas above five":   {"MGM_NATS_REPLICAS": "7"},
	} {
		_, err := Load(env(m))
		assert.Error(t, err, name)
	}
}
