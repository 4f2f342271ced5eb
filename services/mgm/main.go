// Command mgm runs every Mimiron's Gold-o-Matic service in one process (`make run`):
// an embedded NATS server unless NATS_URL is set, a local PostgreSQL unless
// DATABASE_URL is set, and a fake Helix unless TWITCH_CLIENT_ID is set.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/logx"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

func main() {
	if len(os.Args) > 1 {
		if err := devCommand(os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mgm:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log, err := logx.New(cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Without DATABASE_URL the database is the one-process mode's own, and so is the
	// token key when MGM_TOKEN_KEY is unset (kept in MGM_DATA_DIR).
	// On a terminal, a first start with no channel known logs in first (startSystem).
	sys, err := startSystem(ctx, allinone.Options{Config: cfg, Log: log, KeyFile: cfg.DatabaseURL == ""}, os.Stdout, stdinIsTerminal())
	if err != nil {
		return err
	}
	defer sys.Stop()
	readyCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := sys.WaitReady(readyCtx); err != nil {
		return err
	}
	banner(sys)
	stopLive, err := showLive(sys.NC, sys.Config.SpinInterval)
	if err != nil {
		return err
	}
	defer stopLive()
	log.Info("mgm running", zap.String("url", sys.URL), zap.Duration("spinInterval", sys.Config.SpinInterval))
	<-ctx.Done()
	log.Info("shutting down")
	return sys.Err()
}

func banner(s *allinone.System) {
	c := s.Config
	fmt.Printf(`
Mimiron's Gold-o-Matic is running (one process).
  API (gateway)       %s
  EventSub webhook    %s/api/twitch/eventsub
  NATS                %s
  spin interval       %s (production: 300s)
`, s.URL, s.URL, s.NATSURL, c.SpinInterval)
	if s.Helix != nil {
		fmt.Printf(`  Twitch              FAKE Helix at %s (no TWITCH_CLIENT_ID configured)
  broadcaster id      %s
  EventSub secret     %s
  extension secret    %s (base64)
  Desktop API key     %s
Try: go run ./services/mgm chat 1234 '!twgold Norinn'
     curl -H "Authorization: Bearer $(go run ./services/mgm token 1234)" %s/api/pool/me
`, s.Helix.URL(), c.BroadcasterID, c.EventSubSecret, c.ExtensionSecrets[0], c.APIKey, s.URL)
	} else {
		fmt.Printf(`  Twitch              application %s, chat over %s
  accounts            go run ./services/mgm twitch status   (log in: go run ./services/mgm twitch login)
`, c.ClientID, c.EventSubTransport)
		if s.TokenKeyFile != "" {
			fmt.Printf("  token key           %s (keep a copy: losing it means logging in again)\n", s.TokenKeyFile)
		}
	}
	fmt.Println("Press Ctrl+C to stop.")
}

// startSystem is allinone.Start for `make run`. With a Twitch application and no
// channel known (nobody logged in, no TWITCH_BROADCASTER_ID), on a terminal it runs the
// device login `mgm twitch login` runs — the code and address on out, a wait for the
// approval, the grant stored — and then serves the channel that logged in. Without a
// terminal (CI, a service manager) nobody can enter a code: Start's ErrNoChannel says
// what to do. terminal is whether standard input is one (stdinIsTerminal).
func startSystem(ctx context.Context, o allinone.Options, out io.Writer, terminal bool) (*allinone.System, error) {
	if terminal {
		o.LogIn = func(ctx context.Context, cfg config.Config) error {
			fmt.Fprint(out, "No Twitch channel is known yet (nobody has logged in, TWITCH_BROADCASTER_ID is unset).\n"+
				"Logging in now, as `go run ./services/mgm twitch login` does; the system starts once you approve.\n\n")
			// cfg carries the token key Start resolved (MGM_TOKEN_KEY or the key file).
			if err := twitchCommandIn(ctx, cfg, []string{"login"}, out, false); err != nil {
				return fmt.Errorf("twitch login: %w", err)
			}
			fmt.Fprintln(out)
			return nil
		}
	}
	return allinone.Start(ctx, o)
}

// stdinIsTerminal says whether standard input is a terminal someone can answer on.
func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
