package ui

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/services/mgm/sweep"
)

// windowRoutes is the Desktop window's surface (Handler).
func windowRoutes() []sweep.Route {
	id := func(r *rand.Rand) string {
		return fmt.Sprintf("%08x-0000-4000-8000-%012x", r.Uint32(), r.Uint64()&0xffffffffffff)
	}
	return []sweep.Route{
		{Method: "GET", Path: "/", Auth: sweep.AuthNone},
		{Method: "GET", Path: "/app.js", Auth: sweep.AuthNone},
		{Method: "GET", Path: "/ui/state", Auth: sweep.AuthNone},
		{Method: "POST", Path: "/ui/sync", Auth: sweep.AuthDesktop, Body: func(r *rand.Rand) map[string]any { return map[string]any{"ids": []string{id(r)}} }},
		{Method: "POST", Path: "/ui/payouts/{id}/status", Auth: sweep.AuthDesktop, Body: func(r *rand.Rand) map[string]any { return map[string]any{"status": "Cancelled"} }},
		{Method: "POST", Path: "/ui/gifts/{id}/select", Auth: sweep.AuthDesktop, Body: func(r *rand.Rand) map[string]any { return map[string]any{"itemId": 6948} }},
		{Method: "POST", Path: "/ui/gifts/{id}/fail", Auth: sweep.AuthDesktop},
		{Method: "POST", Path: "/ui/gift-alerts/dismiss", Auth: sweep.AuthDesktop, Body: func(r *rand.Rand) map[string]any { return map[string]any{"key": id(r)} }},
		{Method: "POST", Path: "/ui/ping", Auth: sweep.AuthDesktop},
		{Method: "POST", Path: "/ui/refresh", Auth: sweep.AuthDesktop},
		{Method: "POST", Path: "/ui/settings", Auth: sweep.AuthDesktop, Body: func(r *rand.Rand) map[string]any {
			return map[string]any{"apiBaseUrl": "http://127.0.0.1:1", "injectionStrategy": "postmessage"}
		}},
		{Method: "POST", Path: "/ui/test-connection", Auth: sweep.AuthDesktop},
	}
}

// dirDigest hashes every file under dir.
func dirDigest(dir string) string {
	h := sha256.New()
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		fmt.Fprintf(h, "%s:%d:", p, len(b))
		h.Write(b)
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestSweep_WindowKeepsTheErrorContract sweeps the Desktop's local window (issue 12)
// like the gateway: every answer has the status its code documents and the standard
// error body, no 5xx but 503, a refused request changes neither the settings nor
// anything the Desktop sends to the backend or types into the game, memory stays
// bounded and slow clients are cut off.
func TestSweep_WindowKeepsTheErrorContract(t *testing.T) {
	long := os.Getenv("MGM_SWEEP") == "long"
	random := 200
	if long {
		random = 10_000
	}
	if n, err := strconv.Atoi(os.Getenv("MGM_SWEEP_REQUESTS")); err == nil && n >= 0 {
		random = n
	}
	f := start(t)
	u, err := url.Parse(f.url)
	require.NoError(t, err)
	// What a refused request must leave alone: the settings on disk, the backend's state
	// and what was typed into the game.
	snapshot := func() (string, error) {
		return dirDigest(f.store.Dir) + "\n" + f.api.State() + "\n" + f.game.typed(), nil
	}
	target := sweep.Target{Name: "desktop window", Addr: u.Host, Host: u.Host, Snapshot: snapshot}
	spec := sweep.Spec{Routes: windowRoutes(), Now: time.Now}

	slow := sweep.StartSlowClients(long, target)
	goroutines := runtime.NumGoroutine()
	mem := sweep.WatchMemory()
	rep := sweep.Run(target, spec.Catalog(5, long), spec.Random(6, random))
	// A page of another origin (DNS rebinding) must be refused whatever it sends.
	foreign := target
	foreign.Name, foreign.Host = "desktop window (foreign Host)", "evil.example:"+u.Port()
	// Each of those requests is marked as one to refuse, so a 2xx is a finding that
	// names its request (the long sweep's "OPTIONS *" showed up only as a count).
	refused := func(yield func(sweep.Request) bool) {
		for q := range spec.Random(7, random/4) {
			q.Refuse = true
			if !yield(q) {
				return
			}
		}
	}
	rep2 := sweep.Run(foreign, refused)
	grew := mem.Stop()
	for _, r := range []sweep.Report{rep, rep2} {
		t.Log(r.Summary())
		for _, fd := range r.Findings {
			t.Errorf("%s finding: %s", r.Target, fd)
		}
	}
	assert.Zero(t, rep2.Statuses[200]+rep2.Statuses[204], "a foreign Host was answered: %v", rep2.Statuses)
	for _, res := range slow.Wait() {
		t.Log(res)
		assert.True(t, res.Cut, "kept open past its limit: %s", res)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("heap: %d MiB at start, peak %d MiB, %d MiB after the sweep and a GC", mem.Base>>20, mem.Peak>>20, ms.HeapInuse>>20)
	assert.Less(t, grew, uint64(256<<20))
	assert.Less(t, ms.HeapInuse, mem.Base+64<<20)
	assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines+20 }, 10*time.Second, 100*time.Millisecond,
		"goroutines: %d before the sweep", goroutines)
}
