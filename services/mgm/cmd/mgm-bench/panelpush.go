package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

// Extension PubSub messages per spin cycle (target ≤ 5 broadcasts, within Twitch's 100
// a minute per channel), counted on the fake Helix while a busy channel plays: a system
// of its own with a 15 s spin interval (the push plan's gaps scale with the interval,
// so the counts per cycle are those of 300 s cycles), viewers who shared identity
// enrolling all through every cycle, and a Desktop verifying every candidate online and
// taking each payout to Sent at once, so every cycle has a draw, a winner, an outcome,
// pool changes and a winner's whispers.
const (
	pushInterval = 15 * time.Second
	pushCycles   = 4
)

func benchPanelPush(ctx context.Context, admin string) error {
	helix := fakehelix.New()
	defer helix.Close()
	sys, _, stop, err := startBackend(ctx, admin, allinone.Options{FakeHelix: helix}, func(cfg *config.Config) {
		cfg.SpinInterval = pushInterval
		cfg.DevSkipSubscriber = true
	})
	if err != nil {
		return err
	}
	defer stop()
	client := newClient()
	call := func(method, path, auth string, body any, out any) int {
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequestWithContext(ctx, method, sys.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if auth == "apikey" {
			req.Header.Set("X-MGM-ApiKey", sys.Config.APIKey)
		} else if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		if out != nil && resp.StatusCode/100 == 2 {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}

	// Start at a boundary, so whole cycles are counted.
	start := domain.NextBoundary(time.Now(), pushInterval)
	time.Sleep(time.Until(start))
	first := len(helix.PubSubMessages(0))
	end := start.Add(pushCycles * pushInterval)
	sender := sys.Sender()
	viewer := 0
	enrollEvery := pushInterval / 6
	nextEnroll := time.Now()
	for time.Now().Before(end) {
		if time.Now().After(nextEnroll) {
			viewer++
			id := fmt.Sprintf("71%05d", viewer)
			// The viewer's panel calls the backend with a shared-identity token, so the
			// gateway links their opaque id; then they join in chat.
			call(http.MethodGet, "/api/pool/me", sys.ViewerToken(id), nil, nil)
			resp, err := sender.ChatMessage(ctx, eventsub.ChatMessageOpts{
				BroadcasterID: sys.Config.BroadcasterID, UserID: id, UserName: "viewer" + id,
				Text: "!twgold " + benchName(viewer), Badges: []string{"subscriber"},
			})
			if err == nil {
				resp.Body.Close()
			}
			nextEnroll = nextEnroll.Add(enrollEvery)
		}
		var c struct {
			SpinCycleID   string `json:"spinCycleId"`
			CharacterName string `json:"characterName"`
		}
		if call(http.MethodGet, "/api/roulette/candidate", "apikey", nil, &c) == http.StatusOK {
			var v struct {
				Payout *struct {
					ID string `json:"id"`
				} `json:"payout"`
			}
			call(http.MethodPost, "/api/roulette/verify-candidate", "apikey", map[string]any{
				"schemaVersion": 1, "spinCycleId": c.SpinCycleID, "characterName": c.CharacterName,
				"online": true, "capturedAt": time.Now().UTC().Format(time.RFC3339Nano),
			}, &v)
			if v.Payout != nil {
				call(http.MethodPost, "/api/payouts/"+v.Payout.ID+"/confirm-acceptance", "apikey", map[string]any{"characterName": c.CharacterName}, nil)
				call(http.MethodPatch, "/api/payouts/"+v.Payout.ID+"/status", "apikey", map[string]any{"status": "InProgress"}, nil)
				call(http.MethodPatch, "/api/payouts/"+v.Payout.ID+"/status", "apikey", map[string]any{"status": "Sent"}, nil)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	var broadcasts, whispers int
	perMinute := map[int64]int{}
	for _, m := range helix.PubSubMessages(first) {
		if m.At.After(end) {
			break
		}
		if m.Target == "broadcast" {
			broadcasts++
		} else {
			whispers++
		}
		perMinute[m.At.Unix()/60]++
	}
	busiest := 0
	for _, n := range perMinute {
		busiest = max(busiest, n)
	}
	bPer := float64(broadcasts) / pushCycles
	wPer := float64(whispers) / pushCycles
	fmt.Printf("panel push over %d spin cycles of %s, %d viewers enrolling, a winner each cycle: %d broadcasts, %d whispers\n",
		pushCycles, pushInterval, viewer, broadcasts, whispers)
	report("broadcasts per spin cycle ÷ 5", fmt.Sprintf("%.2f", bPer), "5", bPer/5, "≤ 1.0", bPer <= 5)
	fmt.Printf("  whispers per spin cycle: %.2f (each viewer's own changes: enrollment, the winner's payout moves)\n", wPer)
	// Twitch's limit is per minute; with 15 s cycles a minute holds four cycles, so the
	// busiest minute here is four times a real one.
	report("busiest minute's messages ÷ Twitch's 100/min", fmt.Sprintf("%d", busiest), "100", float64(busiest)/100, "≤ 1.0", busiest <= 100)
	return nil
}
