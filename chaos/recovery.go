package main

import (
	"fmt"
	"io"
	"time"

	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	notifier "github.com/mimiron/mgm/services/helix-notifier/service"
)

// recoveryTarget: "after any single kill, everything acknowledged is visible again
// within 5 s" (issue 14, "Recovery"). It holds for every fault that kills a process of
// ours or one it runs on: a replica (kill -9), a NATS node (the cluster keeps two of
// three copies, so it is measured from the kill, not from the node's return) and
// PostgreSQL (restarted in immediate mode: nothing can be written while it is down, so
// it is measured from its return).
const recoveryTarget = 5 * time.Second

// helixTarget is the bound for Helix failing, which is not a kill and has no target in
// the issue: an announcement goes out at helix-notifier's next retry after Helix is
// back (docs/product.md §7: "retries, backoff and a circuit breaker"). Its retries come
// Backoff apart (2, 5, 15, 30 s, …) and, once the breaker opened, every try before
// BreakerOpenFor (30 s) is over is refused without calling Helix; the worst case is an
// announcement first tried as the breaker opened: its first try after the breaker's
// time, 2+5+15+30 = 52 s later — counted here from Helix's return, which is later
// still, so the bound is generous by the outage's length. It is read from the
// notifier's own defaults, which the chaos run's replicas use.
func helixTarget() time.Duration {
	o := notifier.DefaultOptions()
	at := time.Duration(0)
	for k := 0; at < o.BreakerOpenFor; k++ {
		step := time.Second
		if len(o.Backoff) > 0 {
			step = o.Backoff[min(k, len(o.Backoff)-1)]
		}
		at += step
	}
	return at
}

// faultTarget is the longest recovery from a fault of kind, and where it comes from.
func faultTarget(kind string) (time.Duration, string) {
	if kind == faultHelix {
		return helixTarget(), "helix-notifier's retry schedule"
	}
	return recoveryTarget, "issue 14"
}

// measuredFrom is when work acknowledged at acked should be visible again, f aside: a
// process killed clears at once (its replacement or its peers take over), an outage
// when it ends — except a NATS node, whose loss the three-node cluster must absorb
// while it is down.
func measuredFrom(f *fault, acked time.Time) time.Time {
	clear := f.Clear
	if f.Kind == faultNATS {
		clear = f.Start
	}
	if clear.After(acked) {
		return clear
	}
	return acked
}

// never marks work that did not become visible at all.
const never = time.Duration(1<<63 - 1)

// recovery is how one fault affected acknowledged work. For each piece of work
// acknowledged from 2 s before the fault to 5 s after it cleared — an enrollment
// acknowledged by ingest (its 2xx) becoming a pool row, a payout's Sent becoming its
// announcement in chat — the delay from the later of its acknowledgement and the
// fault's clearing (measuredFrom: a kill, NATS node included, clears at once, an outage
// when it ends) to its effect being visible; the fault's recovery is the worst of these. Each piece of work is charged to
// one fault: to an outage whose window holds it, else to the nearest kill. Edge is the
// longest a chat delivery first sent in the window waited for its 2xx.
type recovery struct {
	f           *fault
	lag         time.Duration
	lagWhat     string
	edge        time.Duration
	acked, sent int
}

func recoveries(faults []*fault, enrollments []chatMessage, w *watcher, posts []fakehelix.Post) []recovery {
	sents := w.sentPayouts()
	window := func(f *fault) (time.Time, time.Time) {
		return f.Start.Add(-2 * time.Second), f.Clear.Add(5 * time.Second)
	}
	within := func(t time.Time, f *fault) bool {
		from, to := window(f)
		return !t.IsZero() && !t.Before(from) && !t.After(to)
	}
	// owner is the one fault a piece of work acknowledged at t is charged to: an outage
	// whose window holds it, else the kill nearest in time whose window holds it.
	owner := func(t time.Time) *fault {
		var best *fault
		for _, o := range faults {
			if o.Start.IsZero() || !within(t, o) {
				continue
			}
			if o.Kind != faultKill {
				return o
			}
			if best == nil || absDur(t.Sub(o.Start)) < absDur(t.Sub(best.Start)) {
				best = o
			}
		}
		return best
	}
	var out []recovery
	for _, f := range faults {
		if f.Start.IsZero() {
			continue
		}
		in := func(t time.Time) bool { return owner(t) == f }
		r := recovery{f: f}
		worse := func(acked, visible time.Time, ok bool, what string) {
			d := never
			if ok {
				d = nonNegative(visible.Sub(measuredFrom(f, acked)))
			}
			if d > r.lag || r.lagWhat == "" {
				r.lag, r.lagWhat = d, what
			}
		}
		for _, m := range enrollments {
			if in(m.FirstSent) {
				d := never
				if !m.AckedAt.IsZero() {
					d = m.AckedAt.Sub(m.FirstSent)
				}
				if d > r.edge {
					r.edge = d
				}
			}
			if !in(m.AckedAt) {
				continue
			}
			r.acked++
			seen, ok := w.enrolledAt("chat:" + m.MessageID)
			worse(m.AckedAt, seen, ok, "enrollment of "+m.Name)
		}
		for _, p := range sents {
			if !in(p.SeenSent) {
				continue
			}
			r.sent++
			var posted time.Time
			for _, post := range posts {
				if mentions(post.Message, p.Name) && (posted.IsZero() || post.At.Before(posted)) {
					posted = post.At
				}
			}
			worse(p.SeenSent, posted, !posted.IsZero(), "announcement for "+p.Name)
		}
		out = append(out, r)
	}
	return out
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func nonNegative(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

func fmtDur(d time.Duration) string {
	if d == never {
		return "never"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// printRecoveries writes one line per fault and the worst per kind.
func printRecoveries(w io.Writer, rs []recovery, start time.Time) {
	fmt.Fprintln(w, "chaos: recovery per fault — for work acknowledged from 2 s before the fault to 5 s after it cleared (ingest's 2xx")
	fmt.Fprintln(w, "       of an enrollment, a payout's Sent), the worst delay from the later of its acknowledgement and the fault")
	fmt.Fprintln(w, "       clearing (a kill, a NATS node's included, clears at once; PostgreSQL and Helix when they are back) to its")
	fmt.Fprintln(w, "       effect (pool row, chat announcement); edge: the longest a chat delivery first sent then waited for its")
	fmt.Fprintln(w, "       2xx (Twitch redelivering)")
	fmt.Fprintf(w, "  %7s  %-44s %9s %9s  %s\n", "at", "fault", "recovery", "edge", "worst item")
	type worst struct {
		d    time.Duration
		what string
	}
	kinds := []string{faultKill, faultNATS, faultPostgres, faultHelix}
	worstOf := map[string]worst{}
	for _, r := range rs {
		name := r.f.String()
		if r.f.Err != nil {
			name += " (failed: " + r.f.Err.Error() + ")"
		}
		note := ""
		if r.f.Note != "" {
			note = "; " + r.f.Note
		}
		fmt.Fprintf(w, "  %6.1fs  %-44s %9s %9s  %s (%d enrollments, %d Sent in the window%s)\n",
			r.f.Start.Sub(start).Seconds(), name, fmtDur(r.lag), fmtDur(r.edge), r.lagWhat, r.acked, r.sent, note)
		if cur, ok := worstOf[r.f.Kind]; !ok || r.lag > cur.d {
			worstOf[r.f.Kind] = worst{r.lag, fmt.Sprintf("%s at %.1fs", name, r.f.Start.Sub(start).Seconds())}
		}
	}
	fmt.Fprintln(w, "chaos: worst recovery per fault kind, against its target:")
	for _, k := range kinds {
		if x, ok := worstOf[k]; ok {
			limit, why := faultTarget(k)
			mark := "ok"
			if x.d > limit {
				mark = "ABOVE TARGET"
			}
			fmt.Fprintf(w, "  %-32s %8s  ≤ %-6s %-12s (%s; target: %s)\n", k, fmtDur(x.d), fmtDur(limit), mark, x.what, why)
		}
	}
}
