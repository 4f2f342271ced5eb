package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mimiron/mgm/pkg/bench"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/mgm/allinone"
)

// enrollRun is bench.Enroll through sender, for this bench's viewers; a burst (pace 0)
// also prints how soon every webhook was answered.
func enrollRun(ctx context.Context, sys *allinone.System, sender *eventsub.Sender, first, n int, pace time.Duration) (elapsed time.Duration, lat []time.Duration, err error) {
	viewer := func(i int) (string, string) { return fmt.Sprintf("9%07d", i), benchName(i) }
	r, err := bench.Enroll(ctx, sys.NC, sender, sys.Config.BroadcasterID, viewer, first, n, pace)
	if err != nil {
		return 0, nil, fmt.Errorf("enrollment bench: %w", err)
	}
	if pace == 0 {
		fmt.Printf("  webhooks all accepted after %s (%.0f/s); all members visible after %s\n",
			r.Accepted.Round(time.Millisecond), float64(n)/r.Accepted.Seconds(), r.Elapsed.Round(time.Millisecond))
	}
	return r.Elapsed, r.Latencies, nil
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
		total, elapsed.Round(time.Millisecond), rate, bench.Percentile(burstLat, 50), bench.Percentile(burstLat, 99))
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
	p99 := bench.Percentile(lat, 99)
	fmt.Printf("enrollments end to end, steady %.0f/s for 3 s: p50 %s, p99 %s\n", steady, bench.Percentile(lat, 50), p99)
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
