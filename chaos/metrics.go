package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// workMetrics are the counters in which each service reports its work on /metrics
// (docs/architecture.md, "Metrics"): consumers' outcomes, requests answered over NATS
// and HTTP, the chat commands ingest stored, draws and announcements.
var workMetrics = []string{
	"mgm_consumer_messages_total", "mgm_rpc_requests_total", "mgm_http_requests_total",
	"mgm_gateway_requests_total", "mgm_ingest_chat_commands_published_total",
	"mgm_roulette_cycles_total", "mgm_helix_notifier_posted_total",
}

// sumMetrics adds up, per metric name of names, every series of the Prometheus text
// exposition in r (labels ignored).
func sumMetrics(r io.Reader, names []string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		if !want[name] {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metric line %q: %w", line, err)
		}
		out[name] += v
	}
	return out, sc.Err()
}

// workReport reads every replica's /metrics at the end of the run and says, per
// service, what its replicas counted (since their last start: a killed replica starts
// from zero). A service whose replicas answer nothing, or count no work, is named.
func (s *system) workReport(ctx context.Context) (lines []string, silent []string) {
	client := &http.Client{Timeout: 3 * time.Second}
	for _, name := range serviceNames {
		total := map[string]float64{}
		answered := 0
		for _, p := range s.replicas[name] {
			url := strings.TrimSuffix(p.readyURL, "/readyz") + "/metrics"
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			m, err := sumMetrics(resp.Body, workMetrics)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				continue
			}
			answered++
			for k, v := range m {
				total[k] += v
			}
		}
		var parts []string
		for k, v := range total {
			if v > 0 {
				parts = append(parts, fmt.Sprintf("%s %.0f", strings.TrimPrefix(k, "mgm_"), v))
			}
		}
		sort.Strings(parts)
		if answered == 0 || len(parts) == 0 {
			silent = append(silent, name)
		}
		lines = append(lines, fmt.Sprintf("%s (%d/%d replicas answered): %s", name, answered, len(s.replicas[name]), strings.Join(parts, ", ")))
	}
	return lines, silent
}
