package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/mgm/allinone"
	"github.com/mimiron/mgm/services/mgm/allinone/allinonetest"
)

// concrete turns a consumer's filter subject into a subject it takes ("*" and ">"
// become one token).
func concrete(filter string) string {
	parts := strings.Split(filter, ".")
	for i, p := range parts {
		if p == "*" || p == ">" {
			parts[i] = "poison"
		}
	}
	return strings.Join(parts, ".")
}

// takes reports whether a consumer filtering on filter receives subject.
func takes(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		switch {
		case tok == ">":
			return len(s) > i
		case i >= len(s):
			return false
		case tok != "*" && tok != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}

// Issue 14, item 2: every consumer of every service gives up on a message it cannot
// handle, keeps it, and the service's own `dead list` shows it and `dead replay`
// hands it back to the same handler. The consumers are the ones the running system
// created (not a list kept here), so a new consumer is covered — or fails this test
// when no service owns it.
//
// Not parallel: it shortens natsx.PoisonDelay (1, 2, 4, 8 s) for its own run, and
// restores it before the package's parallel tests start.
func TestOps_EveryServiceListsAndReplaysItsDeadLetters(t *testing.T) {
	saved := natsx.PoisonDelay
	natsx.PoisonDelay = func(uint64) time.Duration { return 20 * time.Millisecond }
	t.Cleanup(func() { natsx.PoisonDelay = saved })
	sys := allinonetest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var names []string
	for _, s := range allinone.Services() {
		names = append(names, s.Name)
	}
	// Every durable consumer the services created, by owner.
	owned := map[string][]string{} // service -> consumers
	filters := map[string]string{} // consumer -> its filter subject
	streams := map[string]string{} // consumer -> its stream
	for _, st := range events.AllStreams {
		if st.Name == events.StreamDead.Name {
			continue // the replay consumers of the dead letters themselves
		}
		s, err := sys.JS.Stream(ctx, st.Name)
		require.NoError(t, err, st.Name)
		lister := s.ListConsumers(ctx)
		for info := range lister.Info() {
			if info.Config.Durable == "" {
				continue // the gateway's read models: ordered, ephemeral
			}
			c := info.Config.Durable
			var owners []string
			for _, n := range names {
				if svc.Owns(n)(c) {
					owners = append(owners, n)
				}
			}
			require.Len(t, owners, 1, "consumer %s on %s must belong to exactly one service (its `dead list`): %v", c, st.Name, owners)
			owned[owners[0]] = append(owned[owners[0]], c)
			f := info.Config.FilterSubject
			if f == "" && len(info.Config.FilterSubjects) > 0 {
				f = info.Config.FilterSubjects[0]
			}
			if f == "" {
				f = st.Subjects[0]
			}
			filters[c], streams[c] = f, st.Name
		}
		require.NoError(t, lister.Err())
	}
	t.Logf("durable consumers by service: %v", owned)
	require.NotEmpty(t, owned["pool"])
	require.NotEmpty(t, owned["payout"])
	require.NotEmpty(t, owned["gift-queue"])
	require.NotEmpty(t, owned["helix-notifier"])

	// One undecodable message on every subject a consumer takes.
	published := map[string]bool{}
	for c, f := range filters {
		subj := concrete(f)
		if published[subj] {
			continue
		}
		published[subj] = true
		_, err := sys.JS.Publish(ctx, subj, []byte(`{"not an envelope"`))
		require.NoError(t, err, "publish poison for %s on %s", c, subj)
	}

	cfg := sys.Config
	cfg.NATSURL = sys.NATSURL
	run := func(service string, args ...string) (string, error) {
		var out bytes.Buffer
		err := svc.Command(ctx, service, cfg, args, &out)
		return out.String(), err
	}
	list := func(service string) []natsx.DeadLetter {
		out, err := run(service, "dead", "list", "--json")
		require.NoError(t, err)
		var l []natsx.DeadLetter
		require.NoError(t, json.Unmarshal([]byte(out), &l), out)
		return l
	}
	services := make([]string, 0, len(owned))
	for s := range owned {
		services = append(services, s)
	}
	sort.Strings(services)
	for _, service := range services {
		consumers := owned[service]
		var dead []natsx.DeadLetter
		testenv.Eventually(t, 60*time.Second, func() bool {
			dead = list(service)
			seen := map[string]bool{}
			for _, d := range dead {
				seen[d.Consumer] = true
			}
			for _, c := range consumers {
				if !seen[c] {
					return false
				}
			}
			return true
		}, "%s: not every consumer of %v kept its poison message as a dead letter", service, consumers)
		for _, d := range dead {
			assert.True(t, svc.Owns(service)(d.Consumer), "%s lists %s's dead letter", service, d.Consumer)
			assert.Equal(t, streams[d.Consumer], d.Stream, "%s: where it came from", d.Consumer)
			assert.True(t, takes(filters[d.Consumer], d.Subject), "%s: the subject %s it took", d.Consumer, d.Subject)
			assert.Equal(t, natsx.PoisonDeliveries, d.Deliveries, "%s: tried %d times in all", d.Consumer, natsx.PoisonDeliveries)
			assert.NotEmpty(t, d.Error, d.Consumer)
		}
		text, err := run(service, "dead", "list")
		require.NoError(t, err)
		for _, c := range consumers {
			assert.Contains(t, text, c, "%s dead list (text)", service)
		}

		// A replay reaches the consumer's handler again: still undecodable, it is
		// tried again and kept again, and the list counts the replay.
		first := dead[0]
		out, err := run(service, "dead", "replay", fmt.Sprint(first.Seq))
		require.NoError(t, err, "%s dead replay %d", service, first.Seq)
		assert.Contains(t, out, first.Consumer)
		testenv.Eventually(t, 60*time.Second, func() bool {
			again, replayed := 0, 0
			for _, d := range list(service) {
				if d.Consumer != first.Consumer {
					continue
				}
				again++
				if d.Seq == first.Seq {
					replayed = d.Replays
				}
			}
			return replayed == 1 && again >= 2
		}, "%s: the replay of %d never reached %s's handler (no second dead letter)", service, first.Seq, first.Consumer)
	}
	for _, service := range names {
		if len(owned[service]) == 0 {
			out, err := run(service, "dead", "list")
			require.NoError(t, err, "%s (no consumers) answers dead list", service)
			assert.Equal(t, "no dead letters\n", out, service)
		}
	}
}
