package allinone

// The Twitch side of the one-process mode: the development values and the fake Helix
// used when no Twitch application is configured, and the channel a login chose when one
// is.

import (
	"context"
	"errors"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

// Development defaults filled in when the one-process mode runs without Twitch
// configuration. They are printed at start so a developer can sign requests.
const (
	DevBroadcasterID   = "100000001"
	DevEventSubSecret  = "mgm-dev-eventsub-secret"
	DevExtensionSecret = "bWdtLWRldi1leHRlbnNpb24tc2VjcmV0LTMyYnl0ZXMh" // base64 of "mgm-dev-extension-secret-32bytes!"
	DevAPIKey          = "mgm-dev-api-key"
)

// withDevTwitch points every Twitch setting at the fake Helix (application
// credentials, broadcaster and sender tokens) and fills the secrets a developer needs
// with the documented development values.
func withDevTwitch(cfg config.Config, h *fakehelix.Server) config.Config {
	if cfg.BroadcasterID == "" {
		cfg.BroadcasterID = DevBroadcasterID
	}
	if cfg.EventSubSecret == "" {
		cfg.EventSubSecret = DevEventSubSecret
	}
	if len(cfg.ExtensionSecrets) == 0 {
		cfg.ExtensionSecrets = []string{DevExtensionSecret}
	}
	// The panel's pushes go to the fake's Extension PubSub, which checks their JWTs
	// with the same secrets. A secret that is not base64 is refused by the gateway at
	// start, so the fake's refusal of it needs no second report here.
	if cfg.ExtensionClientID == "" {
		cfg.ExtensionClientID = fakehelix.ExtensionClientID
	}
	_ = h.SetExtensionSecrets(cfg.ExtensionSecrets...)
	return h.Configure(cfg)
}

// ErrNoChannel is Start's answer when a Twitch application is configured and neither
// TWITCH_BROADCASTER_ID nor a stored broadcaster login names the channel to serve.
// `make run` in a terminal logs in instead (Options.LogIn).
var ErrNoChannel = errors.New("TWITCH_CLIENT_ID is set but no channel is known: log in first with " +
	"`go run ./services/mgm twitch login`, or start `make run` in a terminal, which asks for the login " +
	"(docs/streamer-guide.md); or set TWITCH_BROADCASTER_ID")

// loggedInBroadcaster is the user id of the stored broadcaster login ("" without one).
func loggedInBroadcaster(ctx context.Context, cfg config.Config) (string, error) {
	store, err := tokenstore.Open(ctx, cfg.DatabaseURL, cfg.TokenKey)
	if err != nil {
		return "", err
	}
	defer store.Close()
	g, err := store.Get(ctx, oauth.Broadcaster)
	if errors.Is(err, tokenstore.ErrNotLoggedIn) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return g.UserID, nil
}
