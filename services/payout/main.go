// Command payout runs the payout service alone (NATS_URL and DATABASE_URL required).
package main

import (
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/payout/service"
)

func main() { svc.Main("payout", service.Run) }
