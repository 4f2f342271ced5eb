// Command pool is the pool service: chat enrollment, eligibility and the draw.
package main

import (
	"github.com/mimiron/mgm/pkg/svc"

	"github.com/mimiron/mgm/services/pool/service"
)

func main() { svc.Main("pool", service.Run) }
