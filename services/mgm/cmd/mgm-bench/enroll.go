package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/mgm/allinone"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func benchPublish(ctx context.Context, js jetstream.JetStream) (float64, error) {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: "BENCH_RAW", Subjects: []string{"bench.raw"}, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return 0, err
	}
	defer js.DeleteStream(ctx, "BENCH_RAW")
	payload := make([]byte, 512)
	deadline := time.Now().Add(*flagDur)
	n := 0
	start := time.Now()
	for time.Now().Before(deadline) {
		if _, err := js.Publish(ctx, "bench.raw", payload); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// enrollRun posts signed `!twgold` chat messages for viewers first..first+n-1 and times
// each from its POST until the pool's enrolled event — published after the commit that
// makes the member visible to GET /api/pool/me — arrives. pace 0 sends as fast as 32
// concurrent senders can; otherwise one message every pace.
func enrollRun(ctx context.Context, sys *allinone.System, sender *eventsub.Sender, first, n int, pace time.Duration) (elapsed time.Duration, lat []time.Duration, err error) {
	var mu sync.Mutex
	sentAt := make(map[string]time.Time, n)
	seen := make(map[string]time.Duration, n)
	done := make(chan struct{})
	var last time.Time
	sub, err := sys.NC.Subscribe(events.PoolMemberEnrolled, func(m *nats.Msg) {
		var pm events.PoolMember
		if _, err := events.Decode(m.Data, &pm); err != nil {
			return
		}
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		t0, ok := sentAt[pm.TwitchUserID]
		if _, dup := seen[pm.TwitchUserID]; !ok || dup {
			return
		}
		seen[pm.TwitchUserID] = now.Sub(t0)
		last = now
		if len(seen) == n {
			close(done)
		}
	})
	if err != nil {
		return 0, nil, err
	}
	defer sub.Unsubscribe()

	var failures atomic.Int64
	send := func(i int) {
		uid := fmt.Sprintf("9%07d", i)
		mu.Lock()
		sentAt[uid] = time.Now()
		mu.Unlock()
		resp, err := sender.ChatMessage(ctx, eventsub.ChatMessageOpts{
			BroadcasterID: sys.Config.BroadcasterID, UserID: uid,
			Text: "!twgold " + benchName(i), Badges: []string{"subscriber"},
		})
		if err != nil {
			failures.Add(1)
			return
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			failures.Add(1)
		}
	}
	var wg sync.WaitGroup
	start := time.Now()
	if pace == 0 {
		var next atomic.Int64
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					send(first + i)
				}
			}()
		}
	} else {
		tick := time.NewTicker(pace)
		for i := 0; i < n; i++ {
			<-tick.C
			wg.Add(1)
			go func(i int) { defer wg.Done(); send(first + i) }(i)
		}
		tick.Stop()
	}
	wg.Wait()
	accepted := time.Since(start)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < n {
		return 0, nil, fmt.Errorf("enrollment bench: %d of %d viewers visible after 60 s (%d webhook failures)", len(seen), n, failures.Load())
	}
	for _, d := range seen {
		lat = append(lat, d)
	}
	if pace == 0 {
		fmt.Printf("  webhooks all accepted after %s (%.0f/s); all members visible after %s\n",
			accepted.Round(time.Millisecond), float64(n)/accepted.Seconds(), last.Sub(start).Round(time.Millisecond))
	}
	return last.Sub(start), lat, nil
}

// benchEnroll measures throughput with a burst of viewers enrolling at once, then
// latency at a steady half of that throughput (a burst's p99 would measure only how
// long the queue it builds is). Deliveries go to ingest's own address, as the
// Ingress in deployments/k8s routes Twitch's. Bursts to the one-process mode's single
// address (the gateway, which hands the webhook to ingest in the process) are compared
// with bursts straight to ingest, alternating.
func benchEnroll(ctx context.Context, sys *allinone.System, pubRate float64) error {
	direct := eventsub.NewSender(sys.Config.EventSubSecret, sys.IngestURL+"/api/twitch/eventsub")
	total := *flagEnroll
	// A warm-up burst first (connections, caches, the first batches): the bursts that
	// are compared all run warm.
	const warm = 500
	if _, _, err := enrollRun(ctx, sys, direct, 100*total, warm, 0); err != nil {
		return err
	}
	elapsed, burstLat, err := enrollRun(ctx, sys, direct, 0, total, 0)
	if err != nil {
		return err
	}
	rate := float64(total) / elapsed.Seconds()
	fmt.Printf("enrollments end to end, burst to ingest: %d viewers in %s = %.0f/s (p50 %s, p99 %s under the burst)\n",
		total, elapsed.Round(time.Millisecond), rate, pct(burstLat, 50), pct(burstLat, 99))
	report("enrollments/s ÷ raw sync JetStream publish/s", fmt.Sprintf("%.0f/s", rate), fmt.Sprintf("%.0f/s", pubRate), rate/pubRate, "≥ 1.0", rate/pubRate >= 1.0)

	// The one-process mode's single address: the gateway hands the webhook to ingest's
	// handler in the process (no HTTP hop), so it should cost what ingest's own does.
	// Bursts to either address alternate, so that a machine busy with something else
	// for a moment weighs on both alike.
	var toIngest, toSingle time.Duration
	next := total
	for round := 0; round < 3; round++ {
		d, _, err := enrollRun(ctx, sys, direct, next, total/2, 0)
		if err != nil {
			return err
		}
		s, _, err := enrollRun(ctx, sys, sys.Sender(), next+total/2, total/2, 0)
		if err != nil {
			return err
		}
		toIngest, toSingle, next = toIngest+d, toSingle+s, next+total
	}
	n3 := float64(3 * (total / 2))
	irate, srate := n3/toIngest.Seconds(), n3/toSingle.Seconds()
	fmt.Printf("enrollments end to end, three bursts of %d to each, alternating: the one-process single address (gateway) %.0f/s, straight to ingest %.0f/s\n", total/2, srate, irate)
	report("single address ÷ straight to ingest", fmt.Sprintf("%.0f/s", srate), fmt.Sprintf("%.0f/s", irate), srate/irate, "≥ 0.95", srate/irate >= 0.95)

	steady := rate / 2
	n := int(steady * 3)
	if n < 50 {
		n = 50
	}
	_, lat, err := enrollRun(ctx, sys, direct, next, n, time.Duration(float64(time.Second)/steady))
	if err != nil {
		return err
	}
	p99 := pct(lat, 99)
	fmt.Printf("enrollments end to end, steady %.0f/s for 3 s: p50 %s, p99 %s\n", steady, pct(lat, 50), p99)
	report("p99 webhook → visible (ms) ÷ 250 ms budget", fmt.Sprintf("%dms", p99.Milliseconds()), "250ms", float64(p99)/float64(250*time.Millisecond), "≤ 1.0", p99 < 250*time.Millisecond)
	return nil
}

// benchName is a character name of its own for viewer i: "Bn" and i in base 13, the
// digits alternating between a–m and n–z, so no letter follows itself and no name
// breaks the game's rules (three identical letters in a row are refused).
func benchName(i int) string {
	b := []byte{'B', 'n'}
	for k := 0; ; k++ {
		b = append(b, byte('a'+13*(k%2)+i%13))
		i /= 13
		if i == 0 {
			break
		}
	}
	return string(b)
}
