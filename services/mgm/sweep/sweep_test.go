package sweep

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// system is a server whose accepted requests set work off that lands after the answer,
// as an outbox relay or a consumer does: its state changes late, and quiet says so
// until it has.
type system struct {
	late    time.Duration // how long an accepted request's consequence takes
	state   atomic.Int64
	pending sync.WaitGroup
	waiting atomic.Int64
}

func (s *system) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"code":"` + code + `","message":"no","details":{}}`))
	}
	switch r.URL.Path {
	case "/accept":
		s.waiting.Add(1)
		s.pending.Add(1)
		go func() {
			defer s.pending.Done()
			time.Sleep(s.late)
			s.state.Add(1)
			s.waiting.Add(-1)
		}()
		w.WriteHeader(http.StatusNoContent)
	case "/refuse":
		refuse(http.StatusForbidden, "forbidden")
	case "/refuse-slowly": // long enough for an earlier consequence to land meanwhile
		time.Sleep(3 * s.late)
		refuse(http.StatusForbidden, "forbidden")
	case "/refuse-but-write": // the bug the check is there to find
		s.state.Add(100)
		refuse(http.StatusForbidden, "forbidden")
	case "/late": // a service that did not answer in time, and acted anyway
		s.state.Add(1000)
		refuse(http.StatusServiceUnavailable, "unavailable")
	default:
		refuse(http.StatusNotFound, "not_found")
	}
}

func start(t *testing.T, late time.Duration) (*system, Target) {
	t.Helper()
	sys := &system{late: late}
	srv := httptest.NewServer(sys)
	t.Cleanup(func() { srv.Close(); sys.pending.Wait() })
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	return sys, Target{
		Name:     "test",
		Addr:     u.Host,
		Snapshot: func() (string, error) { return strconv.FormatInt(sys.state.Load(), 10), nil },
		Quiet:    func() (bool, error) { return sys.waiting.Load() == 0, nil },
	}
}

func posts(paths ...string) func(func(Request) bool) {
	return func(yield func(Request) bool) {
		for _, p := range paths {
			if !yield(Request{Label: p, Method: http.MethodPost, Target: p, ContentLength: -1}) {
				return
			}
		}
	}
}

func problems(rep Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Request+": "+f.Problem)
	}
	return out
}

func TestRun_ARefusedRequestThatWritesIsFound(t *testing.T) {
	t.Parallel()
	_, target := start(t, 0)
	rep := Run(target, posts("/refuse", "/refuse-but-write", "/refuse"))
	require.Len(t, rep.Findings, 1, "%v", problems(rep))
	assert.Contains(t, rep.Findings[0].Request, "/refuse-but-write")
	assert.Equal(t, "a refused request changed state", rep.Findings[0].Problem)
	assert.Equal(t, 3, rep.StateChecks)
}

// An accepted request's consequence lands well after two snapshots 50 ms apart agreed,
// while the next (slow) refusal is being answered: the baseline waits for it (quiet),
// so the refusal is not blamed for it — and a refusal that does write is still found
// after such a wait.
func TestRun_AnAcceptedRequestsLateConsequenceIsNotBlamedOnTheNextRefusal(t *testing.T) {
	t.Parallel()
	_, target := start(t, 400*time.Millisecond)
	rep := Run(target, posts("/accept", "/refuse-slowly", "/accept", "/refuse-but-write", "/refuse"))
	require.Len(t, rep.Findings, 1, "%v", problems(rep))
	assert.Contains(t, rep.Findings[0].Request, "/refuse-but-write")
	assert.Equal(t, 3, rep.StateChecks)
	assert.Zero(t, rep.SettleSkips)
}

// Without Quiet the sweep can only take two equal snapshots 50 ms apart for a settled
// system, and a consequence that lands later is blamed on the next refusal: the flake
// of a loaded make test, and why the system sweep passes Quiet.
func TestRun_WithoutQuietALateConsequenceLooksLikeARefusalsWrite(t *testing.T) {
	t.Parallel()
	_, target := start(t, 400*time.Millisecond)
	target.Quiet = nil
	rep := Run(target, posts("/accept", "/refuse-slowly"))
	require.Len(t, rep.Findings, 1, "%v", problems(rep))
	assert.Contains(t, rep.Findings[0].Request, "/refuse-slowly")
}

// 503 unavailable says a service did not answer in time: it may have acted, so its
// effect is no finding, and the comparisons after it start from a new baseline.
func TestRun_A503IsAnUnknownOutcomeNotARefusal(t *testing.T) {
	t.Parallel()
	_, target := start(t, 0)
	rep := Run(target, posts("/late", "/refuse", "/refuse-but-write"))
	require.Len(t, rep.Findings, 1, "%v", problems(rep))
	assert.Contains(t, rep.Findings[0].Request, "/refuse-but-write")
	assert.Equal(t, 1, rep.Unknown)
	assert.Equal(t, 2, rep.StateChecks)
}

// A system that never settles is not compared, and says so in the report.
func TestRun_ASystemThatNeverSettlesIsCountedNotCompared(t *testing.T) {
	t.Parallel()
	_, target := start(t, 0)
	target.Quiet = func() (bool, error) { return false, nil }
	target.SettleLimit = 300 * time.Millisecond
	rep := Run(target, posts("/accept", "/refuse-but-write", "/refuse"))
	assert.Empty(t, rep.Findings)
	assert.Equal(t, 2, rep.SettleSkips, "the first baseline and the one after the accepted request")
	assert.Equal(t, 1, rep.StateChecks, "the refusal after the skipped one is compared again")
}
