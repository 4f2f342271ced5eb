package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
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
	pub, err := rawPublishR3(ctx, sys.js, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "raw sync JetStream publish, stream at 3 replicas (fsync every write): %.0f msg/s\n", pub)

	sender := eventsub.NewSender(eventSubSecret, sys.ingestLB.URL+"/api/twitch/eventsub")
	n := o.enrollments
	elapsed, burst, err := enrollBurst(ctx, sys, sender, 0, n, 0)
	if err != nil {
		return err
	}
	rate := float64(n) / elapsed.Seconds()
	fmt.Fprintf(out, "enrollments end to end on the cluster, burst of %d through the ingest balancer: %s = %.0f/s (p50 %s, p99 %s under the burst)\n",
		n, elapsed.Round(time.Millisecond), rate, percentile(burst, 50).Round(time.Millisecond), percentile(burst, 99).Round(time.Millisecond))
	steady := rate / 2
	m := max(int(steady*3), 50)
	_, lat, err := enrollBurst(ctx, sys, sender, n, m, time.Duration(float64(time.Second)/steady))
	if err != nil {
		return err
	}
	p99 := percentile(lat, 99)
	fmt.Fprintf(out, "enrollments end to end on the cluster, steady %.0f/s for 3 s: p50 %s, p99 %s\n", steady, percentile(lat, 50).Round(time.Millisecond), p99.Round(time.Millisecond))
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

// rawPublishR3 is the baseline: one publisher waiting for each acknowledgement, which
// the stream leader gives once a quorum of the three replicas stored the message.
func rawPublishR3(ctx context.Context, js jetstream.JetStream, d time.Duration) (float64, error) {
	const name = "BENCH_R3"
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{"bench.r3"}, Storage: jetstream.FileStorage, Replicas: 3,
	}); err != nil {
		return 0, err
	}
	defer js.DeleteStream(context.Background(), name)
	payload := make([]byte, 512)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := js.Publish(ctx, "bench.r3", payload); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// enrollBurst posts `!twgold` for viewers first..first+n-1 and times each from its POST
// to the pool's enrolled event. pace 0 sends with 32 concurrent senders as fast as they
// can; otherwise one message every pace.
func enrollBurst(ctx context.Context, sys *system, sender *eventsub.Sender, first, n int, pace time.Duration) (time.Duration, []time.Duration, error) {
	var mu sync.Mutex
	sentAt := make(map[string]time.Time, n)
	seen := make(map[string]time.Duration, n)
	done := make(chan struct{})
	var last time.Time
	sub, err := sys.nc.Subscribe(events.PoolMemberEnrolled, func(m *nats.Msg) {
		var env events.Envelope
		var pm events.PoolMember
		if json.Unmarshal(m.Data, &env) != nil || json.Unmarshal(env.Data, &pm) != nil {
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
	if err := sys.nc.Flush(); err != nil {
		return 0, nil, err
	}
	var failures atomic.Int64
	send := func(i int) {
		uid := fmt.Sprintf("%d", 5000000+i)
		name := viewerName(i)
		mu.Lock()
		sentAt[uid] = time.Now()
		mu.Unlock()
		resp, err := sender.ChatMessage(ctx, eventsub.ChatMessageOpts{
			BroadcasterID: broadcasterID, UserID: uid, Text: "!twgold " + name, Badges: []string{"subscriber"},
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
	start := time.Now()
	if pace == 0 {
		work := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					send(i)
				}
			}()
		}
		for i := first; i < first+n; i++ {
			work <- i
		}
		close(work)
		wg.Wait()
	} else {
		var wg sync.WaitGroup
		for i := first; i < first+n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); send(i) }()
			time.Sleep(pace)
		}
		wg.Wait()
	}
	if f := failures.Load(); f > 0 {
		return 0, nil, fmt.Errorf("%d of %d webhook deliveries were not acknowledged", f, n)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		return 0, nil, fmt.Errorf("only %d of %d enrollments became visible within 60 s", got, n)
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	lat := make([]time.Duration, 0, len(seen))
	for _, d := range seen {
		lat = append(lat, d)
	}
	return last.Sub(start), lat, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p+99)/100 - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}
