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
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

const usage = `usage:
  mgm                          run every service in one process
  mgm chat <userId> <text…>    post a signed channel.chat.message to the running system,
                               e.g. mgm chat 1234 '!twgold Norinn' (sent with a subscriber badge)
  mgm token <userId>           print a viewer Extension JWT for the running system
  mgm twitch login|status|logout [-account bot] | forget
                               connect the Twitch accounts (device code login, stored
                               encrypted with MGM_TOKEN_KEY, or without it and without
                               DATABASE_URL with a key kept in MGM_DATA_DIR); see mgm twitch help
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
// logins go to the same local database `make run` uses, sealed with the same key.
func twitchCommand(cfg config.Config, args []string, out io.Writer) error {
	ctx := context.Background()
	local := cfg.DatabaseURL == ""
	if local && cfg.ClientID != "" && len(args) > 0 && args[0] != "help" {
		url, err := allinone.EnsurePostgres(ctx, cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.DatabaseURL = url
	}
	return twitchCommandIn(ctx, cfg, args, out, local)
}

// twitchCommandIn runs `mgm twitch …` on cfg's database; local says it is the
// one-process mode's own, whose token key, when MGM_TOKEN_KEY is unset, is kept in
// MGM_DATA_DIR (allinone.LocalTokenKey). `forget` needs no key: it is for a lost one.
func twitchCommandIn(ctx context.Context, cfg config.Config, args []string, out io.Writer, local bool) error {
	var kf *tokenstore.KeyFile
	keyed := len(args) > 0 && (args[0] == "login" || args[0] == "status" || args[0] == "logout")
	if local && keyed && cfg.TokenKey == "" && cfg.ClientID != "" {
		k, err := allinone.LocalTokenKey(ctx, &cfg, cfg.DataDir)
		if err != nil {
			return err
		}
		kf = &k
		if k.Created {
			fmt.Fprintf(out, "MGM_TOKEN_KEY is unset: made a key for the stored logins in %s\n\n", k.Path)
		}
		if k.Exposed {
			fmt.Fprintf(out, "warning: %s\n\n", allinone.ExposedNote(k))
		}
	}
	err := account.Command(ctx, cfg, args, out)
	if errors.Is(err, account.ErrUsage) {
		return errors.New("") // the usage was printed
	}
	if err != nil || !keyed || args[0] == "logout" {
		return err
	}
	switch {
	case kf != nil:
		fmt.Fprintf(out, "\ntoken key: %s\n", allinone.KeyNote(*kf))
	case args[0] == "status" && cfg.TokenKey != "":
		fmt.Fprintln(out, "\ntoken key: MGM_TOKEN_KEY (keep it with your other secrets: losing it means logging in again)")
	}
	return nil
}
