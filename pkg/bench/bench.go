// Package bench holds what the two benchmarks share — `make bench` on the one-process
// mode (services/mgm/cmd/mgm-bench) and on the three-node cluster (`go run ./chaos
// bench`): the enrollment burst timed from the signed webhook to the pool's enrolled
// event, the raw JetStream publish rate it is compared with, and the percentile.
package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// PublishRate is the baseline the enrollments are measured against: one publisher
// waiting for each acknowledgement, for d, to a file stream of that many replicas
// (created for the run and deleted after). At three replicas the stream leader
// acknowledges once a quorum stored the message.
func PublishRate(ctx context.Context, js jetstream.JetStream, stream string, replicas int, d time.Duration) (float64, error) {
	subject := "bench." + stream
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: stream, Subjects: []string{subject}, Storage: jetstream.FileStorage, Replicas: replicas,
	}); err != nil {
		return 0, err
	}
	defer js.DeleteStream(context.Background(), stream)
	payload := make([]byte, 512)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := js.Publish(ctx, subject, payload); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// Viewer is viewer i's Twitch user id and character name; every i must give a user and a
// name of its own.
type Viewer func(i int) (userID, name string)

// Enrollments is a run of Enroll.
type Enrollments struct {
	// Elapsed is from the first POST to the last enrolled event.
	Elapsed time.Duration
	// Accepted is from the first POST until every webhook was answered.
	Accepted time.Duration
	// Latencies are each enrollment's time from its POST to its enrolled event.
	Latencies []time.Duration
}

// Enroll posts a signed `!twgold <name>` chat message for viewers first..first+n-1 through
// sender and times each from its POST until the pool's enrolled event — published after
// the commit that makes the member visible — arrives on nc. pace 0 sends as fast as 32
// concurrent senders can; otherwise one message every pace. A webhook not acknowledged
// with 2xx, or an enrollment not seen within 60 s, fails the run.
func Enroll(ctx context.Context, nc *nats.Conn, sender *eventsub.Sender, broadcasterID string, viewer Viewer, first, n int, pace time.Duration) (Enrollments, error) {
	var mu sync.Mutex
	sentAt := make(map[string]time.Time, n)
	seen := make(map[string]time.Duration, n)
	done := make(chan struct{})
	var last time.Time
	sub, err := nc.Subscribe(events.PoolMemberEnrolled, func(m *nats.Msg) {
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
		return Enrollments{}, err
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		return Enrollments{}, err
	}

	var failures atomic.Int64
	send := func(i int) {
		uid, name := viewer(i)
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
	if f := failures.Load(); f > 0 {
		return Enrollments{}, fmt.Errorf("%d of %d webhook deliveries were not acknowledged", f, n)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		return Enrollments{}, fmt.Errorf("only %d of %d enrollments became visible within 60 s", got, n)
	case <-ctx.Done():
		return Enrollments{}, ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	lat := make([]time.Duration, 0, len(seen))
	for _, d := range seen {
		lat = append(lat, d)
	}
	return Enrollments{Elapsed: last.Sub(start), Accepted: accepted, Latencies: lat}, nil
}

// Percentile is the nearest-rank p-th percentile of d (0 for none); d is not reordered.
func Percentile(d []time.Duration, p int) time.Duration {
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
