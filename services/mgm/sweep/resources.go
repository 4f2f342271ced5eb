package sweep

// What a sweep watches besides the answers: the heap of the process under test, and
// slow clients that the server must cut off.

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memory samples the heap of this process (where the one-process system and the
// Desktop's window run in tests) while a sweep runs.
type Memory struct {
	Base, Peak uint64 // HeapInuse after a GC at start, and the highest seen
	stop       chan struct{}
	done       sync.WaitGroup
	peak       atomic.Uint64
}

// WatchMemory starts sampling every 20 ms.
func WatchMemory() *Memory {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := &Memory{Base: ms.HeapInuse, stop: make(chan struct{})}
	m.peak.Store(ms.HeapInuse)
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				for {
					p := m.peak.Load()
					if ms.HeapInuse <= p || m.peak.CompareAndSwap(p, ms.HeapInuse) {
						break
					}
				}
			}
		}
	}()
	return m
}

// Stop ends sampling and returns the growth of the heap's peak over its start.
func (m *Memory) Stop() uint64 {
	close(m.stop)
	m.done.Wait()
	m.Peak = m.peak.Load()
	if m.Peak < m.Base {
		return 0
	}
	return m.Peak - m.Base
}

// SlowClients runs the trickles against t concurrently; limit is how long each may
// be kept open before the server must have cut it.
func SlowClients(t Target, trickles []Trickle, limit time.Duration) []TrickleResult {
	out := make([]TrickleResult, len(trickles))
	var wg sync.WaitGroup
	for i, tr := range trickles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = trickle(t.Addr, tr, limit)
		}()
	}
	wg.Wait()
	return out
}

// Slow is a set of slow clients running in the background.
type Slow struct{ done chan []SlowResult }

// SlowResult is how one target treated one slow client, and the limit it had.
type SlowResult struct {
	Target string
	Limit  time.Duration
	TrickleResult
}

func (r SlowResult) String() string {
	return fmt.Sprintf("%s: %s cut=%t after %s, limit %s (%q)", r.Target, r.Label, r.Cut,
		r.After.Round(10*time.Millisecond), r.Limit, r.Answered)
}

// StartSlowClients trickles requests at every target while a sweep runs: a request head
// one byte every 100 ms and a connection that sends nothing, each of which must be cut
// within ReadHeaderTimeout (5 s) plus slack; with long, also a body one byte every
// 200 ms, which must be cut within ReadTimeout (30 s) plus slack.
func StartSlowClients(long bool, targets ...Target) *Slow {
	s := &Slow{done: make(chan []SlowResult, 1)}
	headLimit, bodyLimit := 9*time.Second, 35*time.Second
	trickles := []Trickle{
		{Label: "head trickled", Head: "GET /api/version HTTP/1.1\r\nHost: x\r\n", Tail: strings.Repeat("X-Slow: 1\r\n", 100), Gap: 100 * time.Millisecond},
		{Label: "idle connection", Gap: time.Second},
	}
	body := Trickle{Label: "body trickled",
		Head: "POST /api/twitch/eventsub HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n",
		Tail: strings.Repeat("x", 10000), Gap: 200 * time.Millisecond}
	go func() {
		var mu sync.Mutex
		var out []SlowResult
		var wg sync.WaitGroup
		run := func(t Target, tr []Trickle, limit time.Duration) {
			defer wg.Done()
			res := SlowClients(t, tr, limit)
			mu.Lock()
			defer mu.Unlock()
			for _, r := range res {
				out = append(out, SlowResult{Target: t.Name, Limit: limit, TrickleResult: r})
			}
		}
		for _, t := range targets {
			wg.Add(1)
			go run(t, trickles, headLimit)
			if long {
				wg.Add(1)
				go run(t, []Trickle{body}, bodyLimit)
			}
		}
		wg.Wait()
		s.done <- out
	}()
	return s
}

// Wait returns the outcomes once every slow client is done.
func (s *Slow) Wait() []SlowResult { return <-s.done }
