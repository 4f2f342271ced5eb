package state

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
)

// Members caches GET /api/pool/me answers, so a viewer's panel polling every few
// seconds costs a map lookup instead of a request to the pool and a database query.
// The pool's member events (enrolled, renamed, removed) invalidate a viewer's entry the
// moment they are published; a TTL bounds staleness should an event ever be missed.
// A fetch that raced with any invalidation is not cached.
type Members struct {
	ttl time.Duration
	now func() time.Time
	max int

	live  atomic.Bool
	epoch atomic.Uint64 // bumped by every invalidation

	mu      sync.Mutex
	entries map[string]memberEntry
}

type memberEntry struct {
	reply   events.PoolMeReply
	expires time.Time
}

// NewMembers returns an empty cache holding answers for ttl and at most max viewers.
func NewMembers(ttl time.Duration, max int, now func() time.Time) *Members {
	return &Members{ttl: ttl, now: now, max: max, entries: map[string]memberEntry{}}
}

// Get returns the cached answer for userID. It never answers before the invalidation
// feed is live.
func (m *Members) Get(userID string) (events.PoolMeReply, bool) {
	if !m.live.Load() {
		return events.PoolMeReply{}, false
	}
	m.mu.Lock()
	e, ok := m.entries[userID]
	m.mu.Unlock()
	if !ok || m.now().After(e.expires) {
		return events.PoolMeReply{}, false
	}
	return e.reply, true
}

// Live reports whether the invalidation feed runs (the cache answers only then).
func (m *Members) Live() bool { return m.live.Load() }

// Begin marks the start of a fetch; pass its token to Put.
func (m *Members) Begin() uint64 { return m.epoch.Load() }

// Put caches a fetched answer unless an invalidation happened since Begin.
func (m *Members) Put(token uint64, userID string, r events.PoolMeReply) {
	if !m.live.Load() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.epoch.Load() != token {
		return
	}
	if len(m.entries) >= m.max {
		m.entries = map[string]memberEntry{}
	}
	m.entries[userID] = memberEntry{reply: r, expires: m.now().Add(m.ttl)}
}

// Invalidate forgets userID's answer.
func (m *Members) Invalidate(userID string) {
	m.mu.Lock()
	m.epoch.Add(1)
	delete(m.entries, userID)
	m.mu.Unlock()
}

func (m *Members) invalidateAll() {
	m.mu.Lock()
	m.epoch.Add(1)
	m.entries = map[string]memberEntry{}
	m.mu.Unlock()
}

// Watch follows the pool's member events with an ordered consumer (from now on) until
// ctx ends. Whenever the feed restarts, everything cached is dropped, since events may
// have been missed in between.
func (m *Members) Watch(ctx context.Context, js jetstream.JetStream, log *zap.Logger) {
	natsx.Rewatch(ctx, log, "member cache feed", func(ctx context.Context) error { return m.watchOnce(ctx, js) },
		func() { m.live.Store(false); m.invalidateAll() })
}

var errFeedClosed = errors.New("member feed closed")

func (m *Members) watchOnce(ctx context.Context, js jetstream.JetStream) error {
	c, err := js.OrderedConsumer(ctx, events.StreamPool.Name, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"mgm.pool.member.>"},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return err
	}
	cc, err := c.Consume(func(msg jetstream.Msg) {
		var pm events.PoolMember
		if _, err := events.Decode(msg.Data(), &pm); err != nil || pm.TwitchUserID == "" {
			// Unknown shape: be safe rather than stale.
			m.invalidateAll()
			return
		}
		m.Invalidate(pm.TwitchUserID)
	}, jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {
		// The ordered consumer recovers by itself; drop the cache in case the
		// hiccup hid an event.
		m.invalidateAll()
	}))
	if err != nil {
		return err
	}
	defer cc.Stop()
	m.invalidateAll()
	m.live.Store(true)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-cc.Closed():
		return errFeedClosed
	}
}
