// Package config reads the environment variables of docs/product.md §11 (and the services'
// own additions) into one Config shared by every service, so a name means the same
// thing in every binary, in the one-process mode and in tests.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole deployment's configuration. Each service reads the fields it needs.
type Config struct {
	HTTPAddr           string        // MGM_HTTP_ADDR
	APIKey             string        // MGM_API_KEY
	SpinInterval       time.Duration // MGM_SPIN_INTERVAL (seconds)
	DevSkipSubscriber  bool          // MGM_DEV_SKIP_SUBSCRIBER_CHECK
	CORSOrigins        []string      // MGM_CORS_ORIGINS
	DataDir            string        // MGM_DATA_DIR: embedded NATS store, local PostgreSQL
	LogLevel           string        // MGM_LOG_LEVEL
	SubscriberBadges   []string      // MGM_SUBSCRIBER_BADGES (default subscriber,founder)
	RPCTimeout         time.Duration // MGM_RPC_TIMEOUT: gateway → service request timeout
	ViewerWritePerMin  int           // MGM_RATE_VIEWER_WRITES_PER_MIN
	ViewerReadPerMin   int           // MGM_RATE_VIEWER_READS_PER_MIN
	DesktopPerMin      int           // MGM_RATE_DESKTOP_PER_MIN
	DatabaseURL        string        // DATABASE_URL
	NATSURL            string        // NATS_URL
	BroadcasterID      string        // TWITCH_BROADCASTER_ID
	EventSubSecret     string        // TWITCH_EVENTSUB_SECRET
	ExtensionSecrets   []string      // TWITCH_EXTENSION_SECRETS (base64)
	ExtensionClientID  string        // TWITCH_EXTENSION_CLIENT_ID: the extension's client id (Extension PubSub); unset: no pushes
	ClientID           string        // TWITCH_CLIENT_ID
	ClientSecret       string        // TWITCH_CLIENT_SECRET
	HelixBaseURL       string        // TWITCH_HELIX_BASE_URL
	AuthBaseURL        string        // TWITCH_AUTH_BASE_URL
	BroadcasterToken   string        // TWITCH_BROADCASTER_TOKEN
	BroadcasterRefresh string        // TWITCH_BROADCASTER_REFRESH_TOKEN
	SenderID           string        // TWITCH_SENDER_ID
	SenderToken        string        // TWITCH_SENDER_TOKEN
	SenderRefresh      string        // TWITCH_SENDER_REFRESH_TOKEN
	EventSubCallback   string        // TWITCH_EVENTSUB_CALLBACK_URL (for the subscription CLI)
	EventSubWSURL      string        // TWITCH_EVENTSUB_WS_URL: the EventSub WebSocket server
	EventSubTransport  string        // TWITCH_EVENTSUB_TRANSPORT: "webhook" (default) or "websocket"
	TokenKey           string        // MGM_TOKEN_KEY: base64 AES-256 key encrypting stored Twitch tokens
	IngestAddr         string        // MGM_INGEST_ADDR: ingest's own listener (EventSub webhook)
	IngestURL          string        // MGM_INGEST_URL: where the gateway proxies the EventSub webhook
	NATSReplicas       int           // MGM_NATS_REPLICAS: copies of every stream and KV bucket (1; 3 on a three-node cluster)
	NotifierMetrics    string        // MGM_NOTIFIER_METRICS_ADDR: helix-notifier's ops address when MGM_OPS_ADDR is unset (older name)
	OpsAddr            string        // MGM_OPS_ADDR: a standalone service's /healthz, /readyz and /metrics (unset: off)
}

// Defaults are the values used when a variable is unset.
func Defaults() Config {
	return Config{
		HTTPAddr:          "127.0.0.1:8080",
		SpinInterval:      300 * time.Second,
		DataDir:           ".mgm-data",
		LogLevel:          "info",
		SubscriberBadges:  []string{"subscriber", "founder"},
		RPCTimeout:        2 * time.Second,
		ViewerWritePerMin: 5,
		ViewerReadPerMin:  120,
		DesktopPerMin:     600,
		HelixBaseURL:      "https://api.twitch.tv",
		AuthBaseURL:       "https://id.twitch.tv",
		EventSubWSURL:     "wss://eventsub.wss.twitch.tv/ws",
		EventSubTransport: "webhook",
		IngestAddr:        "127.0.0.1:8081",
		IngestURL:         "http://127.0.0.1:8081",
		NATSReplicas:      1,
	}
}

// FromEnv reads the process environment over the defaults.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load reads variables through lookup over the defaults; tests pass a map's lookup.
func Load(lookup func(string) (string, bool)) (Config, error) {
	c := Defaults()
	r := reader{lookup: lookup}
	r.str("MGM_HTTP_ADDR", &c.HTTPAddr)
	r.str("MGM_API_KEY", &c.APIKey)
	r.seconds("MGM_SPIN_INTERVAL", &c.SpinInterval)
	r.boolean("MGM_DEV_SKIP_SUBSCRIBER_CHECK", &c.DevSkipSubscriber)
	r.list("MGM_CORS_ORIGINS", &c.CORSOrigins)
	r.str("MGM_DATA_DIR", &c.DataDir)
	r.str("MGM_LOG_LEVEL", &c.LogLevel)
	r.list("MGM_SUBSCRIBER_BADGES", &c.SubscriberBadges)
	r.duration("MGM_RPC_TIMEOUT", &c.RPCTimeout)
	r.integer("MGM_RATE_VIEWER_WRITES_PER_MIN", &c.ViewerWritePerMin)
	r.integer("MGM_RATE_VIEWER_READS_PER_MIN", &c.ViewerReadPerMin)
	r.integer("MGM_RATE_DESKTOP_PER_MIN", &c.DesktopPerMin)
	r.str("DATABASE_URL", &c.DatabaseURL)
	r.str("NATS_URL", &c.NATSURL)
	r.str("TWITCH_BROADCASTER_ID", &c.BroadcasterID)
	r.str("TWITCH_EVENTSUB_SECRET", &c.EventSubSecret)
	r.list("TWITCH_EXTENSION_SECRETS", &c.ExtensionSecrets)
	r.str("TWITCH_EXTENSION_CLIENT_ID", &c.ExtensionClientID)
	r.str("TWITCH_CLIENT_ID", &c.ClientID)
	r.str("TWITCH_CLIENT_SECRET", &c.ClientSecret)
	r.str("TWITCH_HELIX_BASE_URL", &c.HelixBaseURL)
	r.str("TWITCH_AUTH_BASE_URL", &c.AuthBaseURL)
	r.str("TWITCH_BROADCASTER_TOKEN", &c.BroadcasterToken)
	r.str("TWITCH_BROADCASTER_REFRESH_TOKEN", &c.BroadcasterRefresh)
	r.str("TWITCH_SENDER_ID", &c.SenderID)
	r.str("TWITCH_SENDER_TOKEN", &c.SenderToken)
	r.str("TWITCH_SENDER_REFRESH_TOKEN", &c.SenderRefresh)
	r.str("TWITCH_EVENTSUB_CALLBACK_URL", &c.EventSubCallback)
	r.str("TWITCH_EVENTSUB_WS_URL", &c.EventSubWSURL)
	r.str("TWITCH_EVENTSUB_TRANSPORT", &c.EventSubTransport)
	r.str("MGM_TOKEN_KEY", &c.TokenKey)
	r.str("MGM_INGEST_ADDR", &c.IngestAddr)
	r.str("MGM_INGEST_URL", &c.IngestURL)
	r.str("MGM_NOTIFIER_METRICS_ADDR", &c.NotifierMetrics)
	r.integer("MGM_NATS_REPLICAS", &c.NATSReplicas)
	r.str("MGM_OPS_ADDR", &c.OpsAddr)
	if r.err != nil {
		return c, r.err
	}
	c.HelixBaseURL = strings.TrimRight(c.HelixBaseURL, "/")
	c.AuthBaseURL = strings.TrimRight(c.AuthBaseURL, "/")
	return c, c.validate()
}

func (c Config) validate() error {
	if c.SpinInterval < time.Second {
		return fmt.Errorf("MGM_SPIN_INTERVAL must be at least 1 second")
	}
	if c.EventSubTransport != "webhook" && c.EventSubTransport != "websocket" {
		return fmt.Errorf("TWITCH_EVENTSUB_TRANSPORT must be webhook or websocket")
	}
	if s := c.EventSubSecret; s != "" && (len(s) < 10 || len(s) > 100) {
		return fmt.Errorf("TWITCH_EVENTSUB_SECRET must be 10 to 100 characters")
	}
	// JetStream keeps at most 5 copies of a stream (nats-server's StreamMaxReplicas).
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		return fmt.Errorf("MGM_NATS_REPLICAS must be 1 to 5")
	}
	return nil
}

type reader struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *reader) get(name string) (string, bool) {
	v, ok := r.lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	return strings.TrimSpace(v), true
}

func (r *reader) fail(name, v string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s=%q: %w", name, v, err)
	}
}

func (r *reader) str(name string, dst *string) {
	if v, ok := r.get(name); ok {
		*dst = v
	}
}

func (r *reader) list(name string, dst *[]string) {
	v, ok := r.get(name)
	if !ok {
		return
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	*dst = out
}

func (r *reader) integer(name string, dst *int) {
	if v, ok := r.get(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			r.fail(name, v, err)
			return
		}
		*dst = n
	}
}

func (r *reader) seconds(name string, dst *time.Duration) {
	if v, ok := r.get(name); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			r.fail(name, v, fmt.Errorf("want a positive number of seconds"))
			return
		}
		*dst = time.Duration(f * float64(time.Second))
	}
}

func (r *reader) duration(name string, dst *time.Duration) {
	if v, ok := r.get(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			r.fail(name, v, err)
			return
		}
		*dst = d
	}
}

func (r *reader) boolean(name string, dst *bool) {
	if v, ok := r.get(name); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			r.fail(name, v, err)
			return
		}
		*dst = b
	}
}
