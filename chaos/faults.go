package main

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"sort"
	"sync"
	"time"

	"github.com/mimiron/mgm/pkg/events"
)

// Fault kinds.
const (
	faultKill     = "kill -9"
	faultNATS     = "NATS node down"
	faultPostgres = "PostgreSQL restart (immediate)"
	faultHelix    = "Helix failing"
)

// fault is one entry of the schedule. Start and Clear are filled in when it runs: a kill
// clears at once (the supervisor brings the replica back), an outage when it ends.
type fault struct {
	At     time.Duration // after the drive began
	Kind   string
	Target string        // a replica ("pool#2"), a NATS node, or ""
	For    time.Duration // how long an outage lasts
	Start  time.Time
	Clear  time.Time
	Note   string
	Err    error
}

func (f *fault) String() string {
	s := f.Kind
	if f.Target != "" {
		s += " " + f.Target
	}
	if f.For > 0 {
		s += fmt.Sprintf(" for %s", f.For.Round(100*time.Millisecond))
	}
	return s
}

// schedule spreads the faults over a drive of length d: kill -9 of a replica about
// every d/12 (every service in turn — the pool first — a random replica of it), the NATS node leading the
// chat stream killed at a quarter and brought back, PostgreSQL restarted in immediate
// mode at half time, Helix failing for a stretch at two thirds. The outages do not
// overlap each other; kills land between them.
func schedule(d time.Duration, rnd *rand.Rand) []*fault {
	natsFor := clamp(d/8, 5*time.Second, 20*time.Second)
	helixFor := clamp(d/8, 5*time.Second, 20*time.Second)
	out := []*fault{
		{At: d / 4, Kind: faultNATS, Target: "leader of " + events.StreamChat.Name, For: natsFor},
		{At: d / 2, Kind: faultPostgres},
		{At: d * 2 / 3, Kind: faultHelix, For: helixFor},
	}
	busy := func(t time.Duration) bool {
		for _, f := range out {
			if f.Kind != faultKill && t > f.At-2*time.Second && t < f.At+f.For+2*time.Second {
				return true
			}
		}
		return false
	}
	services := append([]string(nil), serviceNames...)
	rnd.Shuffle(len(services), func(i, j int) { services[i], services[j] = services[j], services[i] })
	// The pool first, while enrollments pour in: a killed pool holds a batch of them
	// unacknowledged (the case the recovery target is about).
	for i, s := range services {
		if s == "pool" {
			services[0], services[i] = services[i], services[0]
		}
	}
	step := d / 12
	n := 0
	for t := step / 2; t < d-step/2; t += step {
		at := t + time.Duration(rnd.Int63n(int64(step/3)))
		if busy(at) {
			continue
		}
		svc := services[n%len(services)]
		n++
		out = append(out, &fault{At: at, Kind: faultKill, Target: fmt.Sprintf("%s#%d", svc, 1+rnd.Intn(replicasOf(svc)))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

func clamp(v, lo, hi time.Duration) time.Duration {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func printSchedule(w io.Writer, faults []*fault) {
	fmt.Fprintln(w, "chaos: fault schedule (seconds after the drive starts):")
	for _, f := range faults {
		fmt.Fprintf(w, "  %6.1fs  %s\n", f.At.Seconds(), f)
	}
}

// injector runs the schedule against the system.
type injector struct {
	sys   *system
	out   io.Writer
	start time.Time
	mu    sync.Mutex
}

func (in *injector) logf(format string, args ...any) {
	in.mu.Lock()
	defer in.mu.Unlock()
	fmt.Fprintf(in.out, "  [%6.1fs] %s\n", time.Since(in.start).Seconds(), fmt.Sprintf(format, args...))
}

// run executes every fault at its time; outages run concurrently with later kills.
func (in *injector) run(ctx context.Context, faults []*fault) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, f := range faults {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(in.start.Add(f.At))):
			}
			in.inject(ctx, f)
		}()
	}
	return &wg
}

func (in *injector) inject(ctx context.Context, f *fault) {
	f.Start = time.Now()
	switch f.Kind {
	case faultKill:
		p := in.sys.replica(f.Target)
		if p == nil {
			f.Err = fmt.Errorf("no replica %s", f.Target)
			break
		}
		f.Err = p.kill9()
		f.Clear = time.Now()
		in.logf("kill -9 %s", f.Target)
		// The supervisor starts it again; how long until it serves is worth knowing.
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
			sleep(ctx, 100*time.Millisecond)
			if p.ready() {
				f.Note = fmt.Sprintf("replica ready again %.1fs after the kill", time.Since(f.Start).Seconds())
				in.logf("%s ready again (%.1fs after the kill)", f.Target, time.Since(f.Start).Seconds())
				break
			}
		}
	case faultNATS:
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		leader, err := streamLeader(cctx, in.sys.js, events.StreamChat.Name)
		cancel()
		if err != nil {
			leader = in.sys.nats.nodes[0].name
			f.Note = "leader unknown (" + err.Error() + "), killed " + leader
		}
		node := in.sys.nats.node(leader)
		f.Target = node.name
		f.Err = node.proc.kill9()
		in.logf("kill -9 NATS node %s (leader of %s); back in %s", node.name, events.StreamChat.Name, f.For)
		sleep(ctx, f.For)
		if err := node.proc.resume(); err != nil && f.Err == nil {
			f.Err = err
		}
		f.Clear = time.Now()
		in.logf("NATS node %s started again", node.name)
	case faultPostgres:
		in.logf("PostgreSQL: pg_ctl restart -m immediate")
		cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		f.Err = in.sys.pg.restartImmediate(cctx)
		cancel()
		f.Clear = time.Now()
		in.logf("PostgreSQL is back (down %.1fs)", f.Clear.Sub(f.Start).Seconds())
	case faultHelix:
		in.sys.helix.SetDown(true)
		in.logf("Helix answers 503 to everything for %s", f.For)
		sleep(ctx, f.For)
		in.sys.helix.SetDown(false)
		f.Clear = time.Now()
		in.logf("Helix is back")
	}
	if f.Err != nil {
		in.logf("fault %s failed: %v", f, f.Err)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (s *system) replica(name string) *proc {
	for _, p := range s.allReplicas() {
		if p.name == name {
			return p
		}
	}
	return nil
}
