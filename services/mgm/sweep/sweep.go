// Package sweep throws random and adversarial HTTP at a running server and checks every
// answer against the product's error contract (docs/product.md §6, proto/openapi.yaml
// Error): the status is the one pkg/errs documents for the body's code; an error body is
// {"code","message","details"}; no 5xx but 503 unavailable; a refused request changes
// no state; the process's memory stays bounded; slow clients are cut off. The gateway
// and ingest (services/mgm) and the Desktop's window (desktop/ui) are swept with it
// (issue 12).
package sweep

import (
	"fmt"
	"iter"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Target is the server under test.
type Target struct {
	Name string
	Addr string // host:port to dial
	Host string // the Host header (default Addr)
	// Snapshot digests the state a refused request must not change (nil: not checked).
	Snapshot func() (string, error)
	// Epoch names the current period of background work (the spin cycle, a timeout that
	// is due): when it moves between two snapshots, or while a snapshot is taken, their
	// difference is not blamed on a request (nil: no background work).
	Epoch func() int64
	// Quiet reports whether nothing set off by an earlier request is still on its way
	// (every outbox drained, every consumer caught up, nothing awaiting an ack). The
	// baseline after an accepted request is taken only from a quiet system whose state
	// held still across the check (see settle). nil: the target has no work that runs
	// after its answer, and two equal snapshots suffice.
	Quiet func() (bool, error)
	// SettleLimit bounds the wait for the system to settle (default 20 s).
	SettleLimit time.Duration
	// Timeout bounds one request (default 20 s).
	Timeout time.Duration
}

// Finding is an answer that broke the contract.
type Finding struct {
	Request string
	Status  int
	Body    string
	Problem string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s → %d %s: %s", f.Request, f.Status, cut(f.Body, 200), f.Problem)
}

// Report is what a sweep tried and found.
type Report struct {
	Target      string
	Requests    int
	Statuses    map[int]int
	Protocol    int // malformed requests net/http answered (or closed) itself
	StateChecks int // refused mutating requests whose state was compared
	EpochSkips  int // comparisons skipped because a spin cycle passed
	Unknown     int // 503 answers: a service did not answer in time, so it may have acted
	// SettleSkips counts comparisons skipped because the system did not settle within
	// Target.SettleLimit after an accepted request (something kept working: for the
	// caller to judge, never silently a pass).
	SettleSkips int
	Findings    []Finding
	Duration    time.Duration
	InSnapshots time.Duration // of which spent digesting state
	Slowest     string        // the slowest request and its time
}

// Summary is one line for logs and notes.
func (r Report) Summary() string {
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, r.Statuses[c]))
	}
	return fmt.Sprintf("%s: %d requests in %s (%s in state snapshots; %s; %d answered by net/http itself; %d state checks, %d skipped at a cycle boundary, %d not settled; %d outcomes unknown), %d findings; slowest: %s",
		r.Target, r.Requests, r.Duration.Round(time.Millisecond), r.InSnapshots.Round(time.Millisecond), strings.Join(parts, " "), r.Protocol,
		r.StateChecks, r.EpochSkips, r.SettleSkips, r.Unknown, len(r.Findings), r.Slowest)
}

// Run sends every request to t one after another and checks each answer.
func Run(t Target, reqs ...iter.Seq[Request]) Report {
	if t.Host == "" {
		t.Host = t.Addr
	}
	if t.Timeout == 0 {
		t.Timeout = 20 * time.Second
	}
	if t.SettleLimit == 0 {
		t.SettleLimit = 20 * time.Second
	}
	rep := Report{Target: t.Name, Statuses: map[int]int{}}
	start := time.Now()
	snap := func() string {
		if t.Snapshot == nil {
			return ""
		}
		t0 := time.Now()
		s, err := t.Snapshot()
		rep.InSnapshots += time.Since(t0)
		if err != nil {
			rep.Findings = append(rep.Findings, Finding{Problem: "snapshot: " + err.Error()})
		}
		return s
	}
	epoch := func() int64 {
		if t.Epoch == nil {
			return 0
		}
		return t.Epoch()
	}
	quiet := func() bool {
		if t.Quiet == nil {
			return true
		}
		ok, err := t.Quiet()
		if err != nil {
			rep.Findings = append(rep.Findings, Finding{Problem: "quiet: " + err.Error()})
		}
		return ok
	}
	// observe snapshots between two epoch readings: a state read while background work
	// was due (the epochs differ), or a system that never settled, is compared with
	// nothing.
	observe := func(settled bool) (string, int64, bool) {
		e1 := epoch()
		st, ok := "", true
		if settled {
			st, ok = settle(snap, quiet, t.SettleLimit)
			if !ok {
				rep.SettleSkips++
			}
		} else {
			st = snap()
		}
		e2 := epoch()
		return st, e2, ok && e1 == e2
	}
	base, baseEpoch, baseStable := observe(true)
	slowest := time.Duration(0)
	for req := range seqs(reqs) {
		t0 := time.Now()
		a := send(t.Addr, t.Host, req, t.Timeout)
		if d := time.Since(t0); d > slowest {
			slowest, rep.Slowest = d, fmt.Sprintf("%s took %s", req, d.Round(time.Millisecond))
		}
		rep.Requests++
		rep.Statuses[a.Status]++
		problems, protocol := Check(req, a)
		if protocol {
			rep.Protocol++
		}
		for _, p := range problems {
			rep.Findings = append(rep.Findings, Finding{Request: req.String(), Status: a.Status, Body: string(a.Body), Problem: p})
		}
		if t.Snapshot == nil {
			continue
		}
		accepted := a.Err == nil && a.Status >= 200 && a.Status < 300
		// 503 unavailable says a service did not answer in time, not that it refused:
		// it may still have acted (proto/openapi.yaml, Unavailable).
		unknown := a.Err == nil && a.Status == http.StatusServiceUnavailable
		if unknown {
			rep.Unknown++
		}
		switch {
		case (accepted || unknown) && req.Mutating():
			// An accepted request may change state, and its consequences (an outbox
			// relay, a consumer's write, the next relay) land after its answer: take a
			// new baseline once the system has settled.
			base, baseEpoch, baseStable = observe(true)
		case req.Mutating():
			now, e, stable := observe(false)
			if !stable || !baseStable || e != baseEpoch {
				rep.EpochSkips++
			} else {
				rep.StateChecks++
				if now != base {
					rep.Findings = append(rep.Findings, Finding{Request: req.String(), Status: a.Status, Body: string(a.Body),
						Problem: "a refused request changed state"})
				}
			}
			base, baseEpoch, baseStable = now, e, stable
		}
	}
	if t.Snapshot != nil {
		// Reads refused or not must change nothing either: compare once at the end.
		if now, e, stable := observe(false); stable && baseStable && e == baseEpoch && now != base {
			rep.Findings = append(rep.Findings, Finding{Problem: "state changed after the last mutating request"})
		}
	}
	rep.Duration = time.Since(start)
	return rep
}

func seqs(all []iter.Seq[Request]) iter.Seq[Request] {
	return func(yield func(Request) bool) {
		for _, seq := range all {
			for q := range seq {
				if !yield(q) {
					return
				}
			}
		}
	}
}

// settle returns the state once the system has settled: a snapshot equal to the one
// before it with quiet reporting nothing on its way in between. That is proof, not a
// guess: work set off by a request is always in one of three places until it changes
// the snapshot — an outbox row not yet relayed (the row is in the snapshot, its
// relaying is what quiet sees), a message a consumer has not yet taken or acked
// (quiet), or a write being committed (then the next snapshot differs). So two equal
// snapshots with a quiet check between them leave nothing to arrive later, however
// slow the machine. Without quiet, two equal snapshots 50 ms apart are taken for it.
// ok is false when the system did not settle within limit.
func settle(snap func() string, quiet func() bool, limit time.Duration) (string, bool) {
	prev := snap()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		q := quiet()
		cur := snap()
		if q && cur == prev {
			return cur, true
		}
		prev = cur
	}
	return prev, false
}
