// Package ratelimit limits calls per caller within one route class (viewer reads,
// viewer writes, Desktop): a token bucket per caller that refills perMin tokens a
// minute and holds at most perMin.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is one route class's limit. The zero perMin (or less) means unlimited.
type Limiter struct {
	perMin int
	now    func() time.Time

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	nextSweep time.Time
}

// sweepEvery is how often idle callers' buckets are forgotten.
const sweepEvery = time.Minute

// New builds a limiter allowing perMin calls a minute per caller, bursting to perMin.
func New(perMin int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{perMin: perMin, now: now, buckets: make(map[string]*rate.Limiter)}
}

// Allow takes one token from key's bucket. When none is left it reports how long the
// caller should wait (the Retry-After), rounded up to whole seconds, at least 1.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.perMin <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	if now.After(l.nextSweep) {
		l.sweep(now)
	}
	b, found := l.buckets[key]
	if !found {
		b = rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.perMin)
		l.buckets[key] = b
	}
	l.mu.Unlock()

	r := b.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return true, 0
	}
	r.CancelAt(now)
	secs := math.Ceil(d.Seconds())
	if secs < 1 {
		secs = 1
	}
	return false, time.Duration(secs) * time.Second
}

// sweep forgets buckets that have refilled completely: a full bucket is exactly what a
// new caller gets, so nothing is lost. Called with mu held.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.perMin) {
			delete(l.buckets, k)
		}
	}
	l.nextSweep = now.Add(sweepEvery)
}

// Len is the number of callers currently tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
