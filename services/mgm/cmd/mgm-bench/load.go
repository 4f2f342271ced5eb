package main

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mimiron/mgm/pkg/bench"
)

// loadResult is what a closed-loop load run measured.
type loadResult struct {
	Requests int64
	Errors   int64
	Elapsed  time.Duration
	P50, P99 time.Duration
}

func (r loadResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// load runs workers closed-loop clients for d, each sending newReq() and reading the
// whole answer; a non-2xx status counts as an error. Bounded in time by d.
func load(client *http.Client, workers int, d time.Duration, newReq func() *http.Request) loadResult {
	return loadExpect(client, workers, d, newReq, func(status int) bool { return status/100 == 2 })
}

// loadExpect is load with the statuses that count as answers chosen by ok (a route
// that answers 404 for "none yet" is answering).
func loadExpect(client *http.Client, workers int, d time.Duration, newReq func() *http.Request, ok func(status int) bool) loadResult {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var n, errsN atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]byte, 4096)
			for ctx.Err() == nil {
				req := newReq()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errsN.Add(1)
					continue
				}
				for {
					if _, err := resp.Body.Read(buf); err != nil {
						break
					}
				}
				resp.Body.Close()
				lat[w] = append(lat[w], time.Since(t0))
				if !ok(resp.StatusCode) {
					errsN.Add(1)
				}
				n.Add(1)
			}
		}(w)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return loadResult{Requests: n.Load(), Errors: errsN.Load(), Elapsed: time.Since(start), P50: bench.Percentile(all, 50), P99: bench.Percentile(all, 99)}
}

func newClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}
