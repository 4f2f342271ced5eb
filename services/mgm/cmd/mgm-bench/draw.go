package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mimiron/mgm/pkg/bench"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/mgm/allinone"
	pooladapters "github.com/mimiron/mgm/services/pool/adapters"
)

const drawSamples = 300

// benchDraw times the pool's draw (NATS request → uniform pick in PostgreSQL → reply)
// and the state route with 10 eligible members, then with *flagBig, and reports the
// ratio of the large to the small.
func benchDraw(ctx context.Context, sys *allinone.System, dbURL string) error {
	pool, err := pooladapters.Schema.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	client := newClient()
	token := sys.ViewerToken("8999999")

	measure := func(n int) (draw, state time.Duration, err error) {
		if err := waitEligible(ctx, sys, n); err != nil {
			return 0, 0, err
		}
		// Warm up connections and caches, then time sequential calls.
		for i := 0; i < 20; i++ {
			if _, err := drawOnce(ctx, sys); err != nil {
				return 0, 0, err
			}
		}
		// The median of sequential calls: a mean would let a few scheduler or GC pauses
		// of this 2-core machine decide the ratio.
		took := make([]time.Duration, 0, drawSamples)
		for i := 0; i < drawSamples; i++ {
			t0 := time.Now()
			rep, err := drawOnce(ctx, sys)
			if err != nil {
				return 0, 0, err
			}
			took = append(took, time.Since(t0))
			if rep.Member == nil {
				return 0, 0, fmt.Errorf("draw over %d members found nobody", n)
			}
		}
		draw = bench.Percentile(took, 50)
		state, err = stateLatency(client, sys.URL, token)
		return draw, state, err
	}

	if err := pooladapters.SeedEligible(ctx, pool, 10); err != nil {
		return err
	}
	smallDraw, smallState, err := measure(10)
	if err != nil {
		return err
	}
	fmt.Printf("draw with 10 eligible: %s per draw (median); state %s per request\n", smallDraw, smallState)

	t0 := time.Now()
	if err := pooladapters.SeedEligible(ctx, pool, *flagBig-10); err != nil {
		return err
	}
	fmt.Printf("seeded %d eligible members in %s\n", *flagBig, time.Since(t0).Round(time.Millisecond))
	// A pool that grew over months has been vacuumed and analysed by autovacuum; a table
	// bulk-loaded a moment ago has not, and its first reads would measure that instead.
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE members, viewers`); err != nil {
		return err
	}
	bigDraw, bigState, err := measure(*flagBig)
	if err != nil {
		return err
	}
	fmt.Printf("draw with %d eligible: %s per draw (median); state %s per request\n", *flagBig, bigDraw, bigState)
	r := float64(bigDraw) / float64(smallDraw)
	report(fmt.Sprintf("draw time %d ÷ 10 eligible", *flagBig), bigDraw.String(), smallDraw.String(), r, "≤ 1.5", r <= 1.5)
	r = float64(bigState) / float64(smallState)
	report(fmt.Sprintf("state time %d ÷ 10 eligible", *flagBig), bigState.String(), smallState.String(), r, "≤ 1.5", r <= 1.5)
	return nil
}

func drawOnce(ctx context.Context, sys *allinone.System) (events.PoolDrawReply, error) {
	var rep events.PoolDrawReply
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := natsx.Call(c, sys.NC, events.RPCPoolDraw, events.PoolDrawRequest{}, &rep) // no cycle id: a fresh draw every call
	return rep, err
}

// waitEligible waits until the pool reports n eligible members (the stats follow a
// seed within moments).
func waitEligible(ctx context.Context, sys *allinone.System, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var st events.PoolStats
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := natsx.Call(c, sys.NC, events.RPCPoolStats, struct{}{}, &st)
		cancel()
		if err == nil && st.EligibleCount >= n {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("pool never reported %d eligible members", n)
}

// stateLatency is the mean latency of sequential authenticated state requests.
func stateLatency(client *http.Client, base, token string) (time.Duration, error) {
	do := func() error {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/roulette/state", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		buf := make([]byte, 2048)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				break
			}
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("state answered %d", resp.StatusCode)
		}
		return nil
	}
	for i := 0; i < 50; i++ {
		if err := do(); err != nil {
			return 0, err
		}
	}
	const n = 2000
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := do(); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / n, nil
}
