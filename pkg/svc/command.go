package svc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/natsx"
)

// CommandUsage lists the commands every service binary answers besides running.
const CommandUsage = `  %[1]s dead list [--json]    messages its consumers gave up on (kept on MGM_DEAD)
  %[1]s dead replay <seq>     hand a dead letter back to its consumer (after a fix)
  %[1]s healthcheck [live]    exit 0 when its ops address answers /readyz (/healthz with live):
                              the container health check where the image has no shell`

// ErrNotACommand is Command's answer for arguments that are not one of its commands.
var ErrNotACommand = errors.New("not a common command")

// Command runs one of the commands every service answers (CommandUsage) for service
// name: its dead letters — listed from and replayed through the MGM_DEAD stream, in the
// style of helix-notifier's failures command — and the health check. It returns
// ErrNotACommand for any other arguments, so a service with commands of its own tries
// this first.
func Command(ctx context.Context, name string, cfg config.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return ErrNotACommand
	}
	switch args[0] {
	case "healthcheck":
		path := "/readyz"
		if len(args) > 1 && args[1] == "live" {
			path = "/healthz"
		}
		return healthcheck(ctx, cfg.OpsAddr, path)
	case "dead":
	default:
		return ErrNotACommand
	}
	if len(args) < 2 {
		return fmt.Errorf("usage:\n"+CommandUsage, name)
	}
	if cfg.NATSURL == "" {
		return fmt.Errorf("NATS_URL is required")
	}
	nc, js, err := natsx.Dial(cfg.NATSURL, "mgm-"+name+"-cli", cfg.NATSReplicas)
	if err != nil {
		return err
	}
	defer nc.Close()
	mine := Owns(name)
	switch {
	case args[1] == "list":
		list, err := natsx.ListDead(ctx, js, mine)
		if err != nil {
			return err
		}
		if len(args) > 2 && args[2] == "--json" {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			if list == nil {
				list = []natsx.DeadLetter{}
			}
			return enc.Encode(list)
		}
		return printDead(out, list)
	case args[1] == "replay" && len(args) == 3:
		seq, err := strconv.ParseUint(args[2], 10, 64)
		if err != nil {
			return fmt.Errorf("dead replay: %q is not a dead letter's sequence (see dead list)", args[2])
		}
		d, err := natsx.ReplayDead(ctx, js, seq, mine)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "dead letter %d (%s, %s) handed back to %s\n", d.Seq, d.Subject, d.Error, d.Consumer)
		return nil
	default:
		return fmt.Errorf("usage:\n"+CommandUsage, name)
	}
}

// Owns reports which durable consumers belong to service name: the consumers are named
// after their service ("pool-chat", "helix-notifier", "helix-notifier-replay").
func Owns(name string) func(consumer string) bool {
	return func(c string) bool { return c == name || strings.HasPrefix(c, name+"-") }
}

func printDead(out io.Writer, list []natsx.DeadLetter) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(out, "no dead letters")
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tAT\tCONSUMER\tSUBJECT\tDELIVERIES\tREPLAYS\tERROR")
	for _, d := range list {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", d.Seq, d.At.UTC().Format(time.RFC3339), d.Consumer, d.Subject,
			d.Deliveries, d.Replays, d.Error)
	}
	return w.Flush()
}

// healthcheck asks the ops address for path; 0.0.0.0 and an empty host mean this host.
func healthcheck(ctx context.Context, addr, path string) error {
	if addr == "" {
		return errors.New("healthcheck: MGM_OPS_ADDR is not set")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: MGM_OPS_ADDR=%q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("healthcheck: %s answered %d %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// TryCommand runs a common command for a service's main: ok is false when args are not
// one (the service's own commands come next); otherwise code is the exit status.
func TryCommand(name string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 || (args[0] != "dead" && args[0] != "healthcheck") {
		return 0, false
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Command(ctx, name, cfg, args, stdout); err != nil {
		fmt.Fprintf(stderr, "%s %s: %v\n", name, args[0], err)
		return 1, true
	}
	return 0, true
}
