// Package cli manages ingest's EventSub subscription through Helix:
//
//	go run ./services/ingest subscribe [-user ID] [-callback URL]
//	go run ./services/ingest subscriptions
//	go run ./services/ingest unsubscribe <id>
//
// Credentials come from the environment (docs/product.md §11): TWITCH_CLIENT_ID and
// TWITCH_CLIENT_SECRET (webhook subscriptions use the app token), TWITCH_BROADCASTER_ID,
// TWITCH_EVENTSUB_SECRET and TWITCH_EVENTSUB_CALLBACK_URL (the public HTTPS URL of
// POST /api/twitch/eventsub) for subscribe.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/account"
	"github.com/mimiron/mgm/pkg/twitch/helix"
)

// ErrUsage is returned for a command line that does not parse; usage was printed.
var ErrUsage = errors.New("usage")

const usage = `usage:
  ingest                          serve the EventSub webhook (MGM_INGEST_ADDR, NATS_URL)
  ingest subscribe [-user ID] [-callback URL]
                                  create the channel.chat.message webhook subscription
  ingest subscriptions            list the application's EventSub subscriptions
  ingest unsubscribe <id>         delete a subscription
  ingest twitch login|status|logout
                                  log the broadcaster (or -account bot) in, show what is
                                  missing, log out (see: ingest twitch help)
  ingest healthcheck [live]       exit 0 when MGM_OPS_ADDR answers /readyz (/healthz)

ingest itself reconciles the subscription at start (TWITCH_EVENTSUB_CALLBACK_URL set) or
reads chat over the EventSub WebSocket (TWITCH_EVENTSUB_TRANSPORT=websocket); these commands
are for looking and fixing by hand. subscribe reads TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET, TWITCH_BROADCASTER_ID,
TWITCH_EVENTSUB_SECRET and TWITCH_EVENTSUB_CALLBACK_URL (the public https URL of
/api/twitch/eventsub, port 443). -user is the account whose chat access is used
(user:read:chat + user:bot, with channel:bot from the broadcaster unless it is the
broadcaster or a moderator); default TWITCH_SENDER_ID, else the broadcaster.
`

// Run executes one subcommand with cfg's credentials, writing results to out.
func Run(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usage)
		if len(args) == 0 {
			return ErrUsage
		}
		return nil
	}
	if args[0] == "twitch" {
		err := account.Command(ctx, cfg, args[1:], out)
		if errors.Is(err, account.ErrUsage) {
			return ErrUsage
		}
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch args[0] {
	case "subscribe":
		return subscribe(ctx, cfg, args[1:], out)
	case "subscriptions":
		if len(args) != 1 {
			fmt.Fprint(out, usage)
			return ErrUsage
		}
		return list(ctx, cfg, out)
	case "unsubscribe":
		if len(args) != 2 || strings.TrimSpace(args[1]) == "" {
			fmt.Fprint(out, usage)
			return ErrUsage
		}
		return unsubscribe(ctx, cfg, args[1], out)
	default:
		fmt.Fprint(out, usage)
		return ErrUsage
	}
}

func client(cfg config.Config) (*helix.Client, error) {
	var missing []string
	if cfg.ClientID == "" {
		missing = append(missing, "TWITCH_CLIENT_ID")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "TWITCH_CLIENT_SECRET")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("Helix credentials not configured: set %s", strings.Join(missing, ", "))
	}
	return helix.New(cfg), nil
}

func subscribe(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("subscribe", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, usage) }
	user := fs.String("user", "", "user id whose chat access reads the channel (default TWITCH_SENDER_ID, else TWITCH_BROADCASTER_ID)")
	callback := fs.String("callback", cfg.EventSubCallback, "public URL of POST /api/twitch/eventsub")
	if err := fs.Parse(args); err != nil {
		return ErrUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprint(out, usage)
		return ErrUsage
	}
	var missing []string
	if cfg.BroadcasterID == "" {
		missing = append(missing, "TWITCH_BROADCASTER_ID")
	}
	if cfg.EventSubSecret == "" {
		missing = append(missing, "TWITCH_EVENTSUB_SECRET")
	}
	if *callback == "" {
		missing = append(missing, "TWITCH_EVENTSUB_CALLBACK_URL (or -callback)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("cannot subscribe: set %s", strings.Join(missing, ", "))
	}
	if !strings.HasPrefix(*callback, "https://") {
		fmt.Fprintf(out, "warning: Twitch only delivers to https:// callbacks on port 443; %s will not be verified by the real Twitch\n", *callback)
	}
	reader := *user
	if reader == "" {
		reader = cfg.SenderID
	}
	if reader == "" {
		reader = cfg.BroadcasterID
	}
	c, err := client(cfg)
	if err != nil {
		return err
	}
	sub, err := c.CreateEventSubSubscription(ctx, helix.ChatMessageSubscription(cfg.BroadcasterID, reader, *callback, cfg.EventSubSecret))
	if errs.Has(err, errs.Conflict) {
		fmt.Fprintf(out, "a channel.chat.message subscription for broadcaster %s, user %s and %s already exists:\n", cfg.BroadcasterID, reader, *callback)
		return list(ctx, cfg, out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s (%s v%s) for broadcaster %s read as user %s\n", sub.ID, sub.Type, sub.Version, cfg.BroadcasterID, reader)
	fmt.Fprintf(out, "status %s: Twitch now posts a verification challenge to %s; ingest answers it when it runs with the same TWITCH_EVENTSUB_SECRET\n", sub.Status, *callback)
	return nil
}

func list(ctx context.Context, cfg config.Config, out io.Writer) error {
	c, err := client(cfg)
	if err != nil {
		return err
	}
	subs, err := c.ListEventSubSubscriptions(ctx)
	if err != nil {
		return err
	}
	if len(subs) == 0 {
		fmt.Fprintln(out, "no EventSub subscriptions")
		return nil
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].CreatedAt.Before(subs[j].CreatedAt) })
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tTYPE\tVERSION\tCONDITION\tCALLBACK\tCREATED")
	for _, s := range subs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Type, s.Version, condition(s.Condition),
			s.Transport.Callback, s.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func unsubscribe(ctx context.Context, cfg config.Config, id string, out io.Writer) error {
	c, err := client(cfg)
	if err != nil {
		return err
	}
	if err := c.DeleteEventSubSubscription(ctx, id); err != nil {
		if errs.Has(err, errs.NotFound) {
			return fmt.Errorf("no subscription %s (see: ingest subscriptions)", id)
		}
		return err
	}
	fmt.Fprintf(out, "deleted %s\n", id)
	return nil
}

func condition(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}
