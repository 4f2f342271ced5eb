package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"github.com/mimiron/mgm/services/mgm/allinone"
)

// The panel's figures (issue: "The viewer's panel as a real Twitch Extension"):
//
//	requests per viewer-minute, from the panel's own scheduler      target ≤ 1 at idle
//	backend cost of 10,000 idle viewers ÷ measured read capacity     target ≤ 5 %
//
// The requests per viewer-minute come from extension/bench/schedule.mjs (the panel's
// src/schedule.ts run for 10,000 simulated viewers); scripts/bench.sh writes its JSON
// to the file named by -panel-schedule. The read capacity is measured here: closed-loop
// clients sending the panel's own mix of reads (the state, pool/me, payouts/my-last and
// the gift queue, one each per round) to the whole backend.
var flagPanelSchedule = flag.String("panel-schedule", "", "JSON from extension/bench/schedule.mjs (scripts/bench.sh passes it)")

type panelSchedule struct {
	Viewers          int     `json:"viewers"`
	SessionMinutes   int     `json:"sessionMinutes"`
	PushesRPM        float64 `json:"pushesRpm"`
	PushesSteadyRPM  float64 `json:"pushesSteadyRpm"`
	PushesPerCycle   float64 `json:"pushesPerCycle"`
	MissingRPM       float64 `json:"missingRpm"`
	MissingSteadyRPM float64 `json:"missingSteadyRpm"`
	OldPanelRPM      float64 `json:"oldPanelRpm"`
}

const panelIdleViewers = 10_000

func benchPanel(sys *allinone.System, client *http.Client) error {
	if *flagPanelSchedule == "" {
		fmt.Println("panel: -panel-schedule not given (run through scripts/bench.sh); skipped")
		return nil
	}
	raw, err := os.ReadFile(*flagPanelSchedule)
	if err != nil {
		return fmt.Errorf("panel schedule: %w", err)
	}
	var ps panelSchedule
	if err := json.Unmarshal(raw, &ps); err != nil {
		return fmt.Errorf("panel schedule %s: %w", *flagPanelSchedule, err)
	}
	fmt.Printf("panel scheduler, %d simulated viewers with %d-minute sessions, all sharing identity:\n", ps.Viewers, ps.SessionMinutes)
	fmt.Printf("  pushes flowing: %.3f req/viewer-min (load included), %.3f after the load, %.3f per 5-min spin cycle\n",
		ps.PushesRPM, ps.PushesSteadyRPM, ps.PushesPerCycle)
	fmt.Printf("  pushes missing (fallback poll): %.3f req/viewer-min (%.3f after the load)\n", ps.MissingRPM, ps.MissingSteadyRPM)
	fmt.Printf("  the panel before (3 routes every 5 s): %.0f req/viewer-min\n", ps.OldPanelRPM)
	report("panel req/viewer-min at idle ÷ 1 req budget", fmt.Sprintf("%.3f", ps.PushesRPM), "1", ps.PushesRPM, "≤ 1.0", ps.PushesRPM <= 1)
	report("panel req/viewer-min over a spin cycle ÷ 1", fmt.Sprintf("%.3f", ps.PushesSteadyRPM), "1", ps.PushesSteadyRPM, "≤ 1.0", ps.PushesSteadyRPM <= 1)

	// The read capacity for the panel's mix, each worker a different viewer.
	channel := sys.Config.BroadcasterID
	paths := []string{"/api/roulette/state", "/api/pool/me", "/api/payouts/my-last", "/api/streamers/" + channel + "/gift-queue"}
	tokens := make([]string, 256)
	for i := range tokens {
		tokens[i] = sys.ViewerToken(fmt.Sprintf("9%06d", i+1))
	}
	var k atomic.Int64
	res := loadExpect(client, *flagWorkers, *flagDur, func() *http.Request {
		n := k.Add(1)
		r, _ := http.NewRequest(http.MethodGet, sys.URL+paths[n%int64(len(paths))], nil)
		r.Header.Set("Authorization", "Bearer "+tokens[(n/int64(len(paths)))%int64(len(tokens))])
		return r
	}, func(status int) bool { return status == http.StatusOK || status == http.StatusNotFound })
	if res.Errors > 0 {
		fmt.Printf("  panel mix: %d errors of %d requests\n", res.Errors, res.Requests)
	}
	capacity := res.RPS()
	fmt.Printf("panel read mix (%s): %.0f req/s (p99 %s)\n", strings.Join(paths, ", "), capacity, res.P99)
	idle := float64(panelIdleViewers) * ps.PushesRPM / 60
	fallback := float64(panelIdleViewers) * ps.MissingRPM / 60
	old := float64(panelIdleViewers) * ps.OldPanelRPM / 60
	fmt.Printf("  10,000 viewers: %.1f req/s idle with pushes, %.0f req/s while pushes are missing, %.0f req/s for the old panel\n", idle, fallback, old)
	report("10k idle viewers req/s ÷ read capacity", fmt.Sprintf("%.1f/s", idle), fmt.Sprintf("%.0f/s", capacity), idle/capacity, "≤ 0.05", idle/capacity <= 0.05 && res.Errors == 0)
	fmt.Printf("  for comparison (no target): pushes missing %.3f of the capacity, the old 5 s polling %.2f\n", fallback/capacity, old/capacity)
	return nil
}
