// Command helix-notifier announces Sent payouts in Twitch chat (issue 4); with
// arguments it is the operator's tool for failed announcements (see package cli).
package main

import (
	"os"

	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/helix-notifier/cli"
	"github.com/mimiron/mgm/services/helix-notifier/service"
)

func main() {
	if len(os.Args) > 1 {
		if code, ok := svc.TryCommand("helix-notifier", os.Args[1:], os.Stdout, os.Stderr); ok {
			os.Exit(code)
		}
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	svc.Main("helix-notifier", service.Run)
}
