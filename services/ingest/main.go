// Command ingest receives Twitch EventSub webhooks (channel.chat.message) and publishes
// chat commands to JetStream. With a subcommand it manages the EventSub subscription
// through Helix instead:
//
//	go run ./services/ingest subscribe | subscriptions | unsubscribe <id> | help
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/ingest/cli"
	"github.com/mimiron/mgm/services/ingest/service"
)

func main() {
	if len(os.Args) > 1 { // any argument is a subcommand; unknown ones print usage
		if code, ok := svc.TryCommand("ingest", os.Args[1:], os.Stdout, os.Stderr); ok {
			os.Exit(code)
		}
		os.Exit(command(os.Args[1:]))
	}
	svc.Main("ingest", service.Run)
}

func command(args []string) int {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ingest: %v\n", err)
		return 1
	}
	if err := cli.Run(context.Background(), cfg, args, os.Stdout); err != nil {
		if errors.Is(err, cli.ErrUsage) {
			return 2
		}
		fmt.Fprintf(os.Stderr, "ingest %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
