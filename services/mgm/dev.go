package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/account"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

const usage = `usage:
  mgm                          run every service in one process
  mgm chat <userId> <text…>    post a signed channel.chat.message to the running system,
                               e.g. mgm chat 1234 '!twgold Norinn' (sent with a subscriber badge)
  mgm token <userId>           print a viewer Extension JWT for the running system
  mgm twitch login|status|logout [-account bot]
                               connect the Twitch accounts (device code login, stored
                               encrypted with MGM_TOKEN_KEY); see mgm twitch help
The chat and token helpers use the same configuration as the server (the development
defaults when TWITCH_* is unset).`

// devCommand runs a development helper against a running one-process system.
func devCommand(args []string, out io.Writer) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if args[0] == "twitch" {
		return twitchCommand(cfg, args[1:], out)
	}
	if cfg.BroadcasterID == "" {
		cfg.BroadcasterID = allinone.DevBroadcasterID
	}
	if cfg.EventSubSecret == "" {
		cfg.EventSubSecret = allinone.DevEventSubSecret
	}
	if len(cfg.ExtensionSecrets) == 0 {
		cfg.ExtensionSecrets = []string{allinone.DevExtensionSecret}
	}
	switch {
	case len(args) >= 3 && args[0] == "chat":
		s := eventsub.NewSender(cfg.EventSubSecret, "http://"+cfg.HTTPAddr+"/api/twitch/eventsub")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := s.ChatMessage(ctx, eventsub.ChatMessageOpts{
			BroadcasterID: cfg.BroadcasterID, UserID: args[1], UserName: "viewer" + args[1],
			Text: strings.Join(args[2:], " "), Badges: []string{"subscriber"},
		})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		fmt.Fprintf(out, "webhook answered %s\n", resp.Status)
		return nil
	case len(args) == 2 && args[0] == "token":
		fmt.Fprintln(out, extjwt.Mint(cfg.ExtensionSecrets[0], extjwt.Claims{
			UserID: args[1], OpaqueUserID: "U" + args[1], ChannelID: cfg.BroadcasterID,
			Role: "viewer", Exp: time.Now().Add(extjwt.DefaultLifetime),
		}))
		return nil
	default:
		return fmt.Errorf("%s", usage)
	}
}

// twitchCommand is `mgm twitch …`: in the one-process mode without DATABASE_URL the
// logins go to the same local database `make run` uses.
func twitchCommand(cfg config.Config, args []string, out io.Writer) error {
	ctx := context.Background()
	if cfg.DatabaseURL == "" && cfg.ClientID != "" && len(args) > 0 && args[0] != "help" {
		url, err := allinone.EnsurePostgres(ctx, cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.DatabaseURL = url
	}
	err := account.Command(ctx, cfg, args, out)
	if errors.Is(err, account.ErrUsage) {
		return errors.New("") // the usage was printed
	}
	return err
}
