// Command roulette runs the roulette service alone (NATS_URL and DATABASE_URL required).
package main

import (
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/roulette/service"
)

func main() { svc.Main("roulette", service.Run) }
