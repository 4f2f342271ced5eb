package main

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// series reads a service's /metrics into the set of series names with their labels
// ("mgm_consumer_messages_total{consumer=\"pool-chat\",outcome=\"ack\"}").
func series(t *testing.T, sys *allinonetest.System, service string) map[string]string {
	t.Helper()
	resp, err := http.Get(sys.OpsURL(service) + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			out[line[:i]] = line[i+1:]
		}
	}
	return out
}

// What an operator reads on each service's /metrics once a giveaway went round:
// requests and latencies, consumers' outcomes, lag and redeliveries, the outbox's age,
// draw outcomes and announcements (issue 14, "What operators expect").
func TestOps_EveryServiceReportsItsWorkOnMetrics(t *testing.T) {
	t.Parallel()
	sys := allinonetest.Start(t, shortSpins)
	sys.Enroll(t, "7301", "Thrall")
	cand := waitCandidate(t, sys)
	var vr events.VerifyReply
	status, body := sys.Do(t, http.MethodPost, "/api/roulette/verify-candidate", "apikey", report(cand, true), &vr)
	require.Equal(t, 2, status/100, string(body))
	require.NotNil(t, vr.Payout)
	for _, st := range []string{"InProgress", "Sent"} {
		status, body = sys.Do(t, http.MethodPatch, "/api/payouts/"+vr.Payout.ID+"/status", "apikey", map[string]string{"status": st}, nil)
		require.Equal(t, http.StatusOK, status, string(body))
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return len(sys.Helix.Posts()) == 1 }, "no announcement")
	// And a gift request from chat, which the Desktop lists.
	resp, err := sys.Sender().ChatMessage(context.Background(), eventsub.ChatMessageOpts{
		BroadcasterID: sys.Config.BroadcasterID, UserID: "7302", UserName: "viewer7302",
		Text: "!twgift Jaina", Badges: []string{"subscriber"},
	})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 2, resp.StatusCode/100)
	testenv.Eventually(t, 10*time.Second, func() bool {
		var list []events.GiftRequest
		status, _ := sys.Do(t, http.MethodGet, "/api/gift-requests", "apikey", nil, &list)
		return status == http.StatusOK && len(list) == 1
	}, "the gift request never reached the Desktop's list")

	want := map[string][]string{
		"pool": {`mgm_consumer_messages_total{consumer="pool-chat",outcome="ack"}`, `mgm_consumer_pending_messages{consumer="pool-chat"}`,
			`mgm_consumer_ack_pending_messages{consumer="pool-chat"}`, `mgm_consumer_handle_duration_seconds_count{consumer="pool-chat"}`,
			`mgm_rpc_requests_total{code="ok",subject="mgm.rpc.pool.draw"}`, `mgm_rpc_request_duration_seconds_count{subject="mgm.rpc.pool.draw"}`,
			`mgm_outbox_event_age_seconds_count{relay="pool"}`, `mgm_outbox_oldest_pending_age_seconds{relay="pool"}`},
		"roulette": {`mgm_roulette_cycles_total{outcome="drawn"}`, `mgm_roulette_cycles_total{outcome="winner"}`,
			`mgm_rpc_requests_total{code="ok",subject="mgm.rpc.roulette.verify"}`, `mgm_outbox_event_age_seconds_count{relay="roulette"}`},
		"payout": {`mgm_rpc_requests_total{code="ok",subject="mgm.rpc.payout.status"}`, `mgm_outbox_event_age_seconds_count{relay="payout"}`,
			`mgm_consumer_messages_total{consumer="payout-reward-posted",outcome="ack"}`},
		"helix-notifier": {`mgm_helix_notifier_posted_total`, `mgm_consumer_messages_total{consumer="helix-notifier",outcome="ack"}`},
		"gateway": {`mgm_gateway_requests_total{code="200",route="/api/payouts/:id/status"}`,
			`mgm_gateway_request_duration_seconds_count{route="/api/roulette/candidate"}`, `mgm_http_requests_total{method="PATCH"}`,
			`mgm_http_request_duration_seconds_count{method="POST"}`},
		// The webhook reached ingest in the process (the gateway hands it ingest's handler).
		"ingest": {`mgm_ingest_chat_commands_published_total`},
		"gift-queue": {`mgm_consumer_messages_total{consumer="gift-queue-chat",outcome="ack"}`,
			`mgm_consumer_pending_messages{consumer="gift-queue-chat"}`, `mgm_outbox_event_age_seconds_count{relay="gift"}`,
			`mgm_rpc_requests_total{code="ok",subject="mgm.rpc.gift.list"}`},
	}
	// Counters and histograms count the work above: present is not enough, they must
	// have counted it. Gauges (lag, outbox age) are read as they are.
	counted := func(name, value string) bool {
		if strings.HasSuffix(name, "}") {
			name = name[:strings.IndexByte(name, '{')]
		}
		if !strings.HasSuffix(name, "_total") && !strings.HasSuffix(name, "_count") {
			return true
		}
		v, err := strconv.ParseFloat(value, 64)
		return err == nil && v > 0
	}
	for service, names := range want {
		var m map[string]string
		// Lag is sampled every few seconds; the rest is counted as it happens.
		testenv.Eventually(t, 15*time.Second, func() bool {
			m = series(t, sys, service)
			for _, n := range names {
				if v, ok := m[n]; !ok || !counted(n, v) {
					return false
				}
			}
			return true
		}, "%s lacks one of %v, or it counted nothing", service, names)
	}
	// Issue 14 item 5: the chat commands reached ingest in the process, not through an
	// HTTP request to ingest's own listener (which its mgm_http_requests_total counts).
	for n, v := range series(t, sys, "ingest") {
		if strings.HasPrefix(n, "mgm_http_requests_total") {
			assert.Equal(t, "0", v, "%s: the gateway proxied the webhook to ingest over HTTP", n)
		}
	}
}
