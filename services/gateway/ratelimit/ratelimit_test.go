package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestAllow_RefusesAfterPerMinuteBudgetWithRetryAfter(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := New(5, c.now)
	for i := range 5 {
		ok, _ := l.Allow("v1")
		assert.True(t, ok, "call %d", i+1)
	}
	ok, wait := l.Allow("v1")
	assert.False(t, ok)
	assert.Equal(t, 12*time.Second, wait, "5/min refills one token every 12 s")

	ok, _ = l.Allow("v2")
	assert.True(t, ok, "another caller has its own budget")

	c.t = c.t.Add(12 * time.Second)
	ok, _ = l.Allow("v1")
	assert.True(t, ok, "a token came back")
	ok, _ = l.Allow("v1")
	assert.False(t, ok)
}

func TestAllow_NonPositiveLimitIsUnlimited(t *testing.T) {
	l := New(0, nil)
	for range 1000 {
		ok, _ := l.Allow("v")
		assert.True(t, ok)
	}
}

func TestAllow_ForgetsRefilledCallers(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := New(60, c.now)
	l.Allow("a")
	l.Allow("b")
	assert.Equal(t, 2, l.Len())
	c.t = c.t.Add(2 * time.Minute)
	l.Allow("c")
	assert.Equal(t, 1, l.Len())
}
