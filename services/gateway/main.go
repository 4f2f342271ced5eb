// Command gateway serves the public HTTP API alone (NATS_URL required); the
// one-process mode runs the same service.Run.
package main

import (
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/services/gateway/service"
)

func main() { svc.Main("gateway", service.Run) }
