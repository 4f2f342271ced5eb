// Command gift-queue runs the gift queue service alone (NATS_URL and DATABASE_URL required).
package main

import (
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/gift-queue/service"
)

func main() { svc.Main("gift-queue", service.Run) }
