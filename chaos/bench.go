package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mimiron/mgm/pkg/bench"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// benchCluster is `make bench`'s cluster figure (`go run ./chaos bench`): on the same
// deployment as the chaos run, without faults, enrollments end to end (a signed webhook
// to the ingest balancer until the pool's enrolled event, which follows the commit)
// against raw synchronous publishes to a stream at three replicas, measured in the same
// run: target ≥ 1.0, and p99 < 250 ms at a steady half of the burst rate.
func benchCluster(ctx context.Context, o options, root, dir string, out io.Writer, say func(string, ...any)) error {
	sys, down, err := bringUp(ctx, o, root, dir, say)
	if err != nil {
		return err
	}
	defer down()
	// the baseline: one publisher waiting for each acknowledgement, which the stream
	// leader gives once a quorum of the three replicas stored the message
	pub, err := bench.PublishRate(ctx, sys.js, "BENCH_R3", 3, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "raw sync JetStream publish, stream at 3 replicas (fsync every write): %.0f msg/s\n", pub)

	sender := eventsub.NewSender(eventSubSecret, sys.ingestLB.URL+"/api/twitch/eventsub")
	n := o.enrollments
	viewer := func(i int) (string, string) { return fmt.Sprintf("%d", 5000000+i), viewerName(i) }
	burst, err := bench.Enroll(ctx, sys.nc, sender, broadcasterID, viewer, 0, n, 0)
	if err != nil {
		return err
	}
	elapsed := burst.Elapsed
	rate := float64(n) / elapsed.Seconds()
	fmt.Fprintf(out, "enrollments end to end on the cluster, burst of %d through the ingest balancer: %s = %.0f/s (p50 %s, p99 %s under the burst)\n",
		n, elapsed.Round(time.Millisecond), rate, bench.Percentile(burst.Latencies, 50).Round(time.Millisecond), bench.Percentile(burst.Latencies, 99).Round(time.Millisecond))
	steady := rate / 2
	m := max(int(steady*3), 50)
	run, err := bench.Enroll(ctx, sys.nc, sender, broadcasterID, viewer, n, m, time.Duration(float64(time.Second)/steady))
	if err != nil {
		return err
	}
	lat := run.Latencies
	p99 := bench.Percentile(lat, 99)
	fmt.Fprintf(out, "enrollments end to end on the cluster, steady %.0f/s for 3 s: p50 %s, p99 %s\n", steady, bench.Percentile(lat, 50).Round(time.Millisecond), p99.Round(time.Millisecond))
	verdict := func(ok bool) string {
		if ok {
			return "meets target"
		}
		return "BELOW TARGET"
	}
	fmt.Fprintf(out, "  %-52s %.0f/s / %.0f/s = %.2f (target ≥ 1.0) %s\n", "R3 cluster: enrollments/s ÷ raw R3 sync publish/s", rate, pub, rate/pub, verdict(rate/pub >= 1))
	fmt.Fprintf(out, "  %-52s %dms / 250ms = %.2f (target ≤ 1.0) %s\n", "R3 cluster: p99 webhook → visible ÷ 250 ms", p99.Milliseconds(),
		float64(p99)/float64(250*time.Millisecond), verdict(p99 < 250*time.Millisecond))
	return nil
}
