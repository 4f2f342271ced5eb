package account

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

// ErrUsage is returned (after printing the usage) for a command line that is not
// understood.
var ErrUsage = errors.New("usage")

// Usage is the `twitch` subcommand's help.
const Usage = `usage: twitch <command>

  login  [-account broadcaster|bot]   log an account in (Twitch's device code: open the address, enter the code)
  status [-live]                      accounts, scopes, expiry, problems, and what each feature lacks
                                      (-live: ask Twitch now instead of showing the last check)
  logout [-account broadcaster|bot]   revoke the account's tokens and forget them
  forget                              drop every stored login without the key (after losing it);
                                      log in again afterwards

Needs TWITCH_CLIENT_ID, DATABASE_URL (or the one-process mode's local database) and, to
store a login, MGM_TOKEN_KEY (the one-process mode on its local database keeps a generated
key in MGM_DATA_DIR instead). Tokens set in the environment (TWITCH_BROADCASTER_TOKEN,
TWITCH_SENDER_TOKEN) win over stored ones.
`

// Command runs `twitch <args>` against cfg (each binary passes its configuration:
// `mgm twitch …`, `ingest twitch …`).
func Command(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, Usage)
		if len(args) == 0 {
			return ErrUsage
		}
		return nil
	}
	fs := flag.NewFlagSet("twitch "+args[0], flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, Usage) }
	who := fs.String("account", "broadcaster", "broadcaster or bot")
	live := fs.Bool("live", false, "ask Twitch now")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		if err == nil {
			fmt.Fprint(out, Usage)
		}
		return ErrUsage
	}
	role, err := ParseRole(*who)
	if err != nil {
		fmt.Fprintf(out, "%v\n%s", err, Usage)
		return ErrUsage
	}
	switch args[0] {
	case "login", "status", "logout", "forget":
	default:
		fmt.Fprint(out, Usage)
		return ErrUsage
	}
	if cfg.ClientID == "" {
		return fmt.Errorf("TWITCH_CLIENT_ID is not set: register an application at https://dev.twitch.tv/console (docs/streamer-guide.md)")
	}
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is not set: logins are stored in the deployment's database")
	}
	if args[0] == "forget" {
		// The key is lost: nothing stored can be read, so nothing can be revoked.
		n, err := tokenstore.Forget(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "forgot %d stored login(s) and the key they were sealed with; log in again with `twitch login`.\n"+
			"Their tokens stay valid on Twitch until they expire; to end them now, disconnect the application on Twitch\n"+
			"(Settings, Connections).\n", n)
		return nil
	}
	store, err := tokenstore.Open(ctx, cfg.DatabaseURL, cfg.TokenKey)
	if err != nil {
		return err
	}
	defer store.Close()
	m := &Manager{Config: cfg, Store: store,
		OAuth: &oauth.Client{BaseURL: cfg.AuthBaseURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret}}
	switch args[0] {
	case "login":
		_, err := m.Login(ctx, role, out)
		return err
	case "logout":
		return m.Logout(ctx, role, out)
	default:
		r, err := m.Status(ctx, *live)
		if err != nil {
			return err
		}
		r.Print(out, time.Now())
		return nil
	}
}
