// Package cli is helix-notifier's operator command:
//
//	helix-notifier failures list            # failed, unknown and stalled announcements
//	helix-notifier failures replay <payoutId>
//
// It talks to PostgreSQL (DATABASE_URL) directly, so listing works even when no
// notifier runs; replay also needs NATS_URL to queue the new attempt, which a running
// notifier then posts (at most once, through the same marker).
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/twitch/account"
	"github.com/mimiron/mgm/services/helix-notifier/adapters"
	"github.com/mimiron/mgm/services/helix-notifier/app"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
	"github.com/mimiron/mgm/services/helix-notifier/ports"
	"github.com/mimiron/mgm/services/helix-notifier/service"
)

// Usage is printed for unknown arguments.
const Usage = `usage:
  helix-notifier                               run the notifier (NATS_URL, DATABASE_URL)
  helix-notifier failures list [--json]        announcements that need an operator
  helix-notifier failures replay <payoutId>    post a failed/unknown announcement again
  helix-notifier twitch login|status|logout    the Twitch accounts the announcement is posted with
  helix-notifier dead list [--json]            events its consumers gave up on (undecodable; MGM_DEAD)
  helix-notifier dead replay <seq>             hand one back to its consumer after a fix
  helix-notifier healthcheck [live]            exit 0 when MGM_OPS_ADDR answers /readyz (/healthz)`

// Main runs the command in args (without the program name) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if args[0] == "twitch" {
		// A login waits for the person at the browser: no 30-second limit.
		if err := account.Command(context.Background(), cfg, args[1:], stdout); err != nil {
			if !errors.Is(err, account.ErrUsage) {
				fmt.Fprintln(stderr, err)
			}
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Run(ctx, cfg, args, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// Run executes one operator command against cfg's database (and NATS for replay).
func Run(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) < 2 || args[0] != "failures" {
		return fmt.Errorf("%s", Usage)
	}
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is required")
	}
	pool, err := adapters.Schema.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	op := &app.Service{Repo: adapters.New(pool), Now: time.Now, S: app.Settings{StaleAfter: service.DefaultOptions().StaleAfter}}
	switch args[1] {
	case "list":
		list, err := op.Failures(ctx)
		if err != nil {
			return err
		}
		if len(args) > 2 && args[2] == "--json" {
			wire := make([]events.Announcement, 0, len(list))
			for i := range list {
				wire = append(wire, ports.Announcement(&list[i]))
			}
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(wire)
		}
		return printTable(out, list)
	case "replay":
		if len(args) != 3 {
			return fmt.Errorf("%s", Usage)
		}
		if cfg.NATSURL == "" {
			return fmt.Errorf("NATS_URL is required to queue a replay")
		}
		// The same copies as the services keep: an update with fewer would shrink the stream.
		nc, js, err := natsx.Dial(cfg.NATSURL, "mgm-helix-notifier-cli", cfg.NATSReplicas)
		if err != nil {
			return err
		}
		defer nc.Close()
		if err := natsx.EnsureStreams(ctx, js, events.StreamNotify); err != nil {
			return err
		}
		op.Publisher = adapters.JetStream{JS: js}
		a, err := op.Replay(ctx, args[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "replay queued for payout %s (%s); replays so far: %d\n", a.PayoutID, a.CharacterName, a.Replays)
		return nil
	default:
		return fmt.Errorf("%s", Usage)
	}
}

func printTable(out io.Writer, list []domain.Announcement) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(out, "no failed announcements")
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PAYOUT\tCHARACTER\tSTATE\tATTEMPTS\tREPLAYS\tUPDATED\tREASON")
	for _, a := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", a.PayoutID, a.CharacterName, a.State, a.Attempts,
			a.Replays, a.UpdatedAt.UTC().Format(time.RFC3339), a.Reason)
	}
	return w.Flush()
}
