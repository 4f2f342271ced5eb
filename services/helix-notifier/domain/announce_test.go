package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

func TestMessage_IsTheExactProductLine(t *testing.T) {
	assert.Equal(t, "Награда отправлена персонажу Артас на почту, проверяй ящик!", domain.Message("Артас"))
}

func TestClassifyDrop_RetriesOnlyNotNowDrops(t *testing.T) {
	retry := []string{"msg_ratelimit", "msg_slowmode", "msg_timedout", "MSG_SLOWMODE"}
	give := []string{"msg_duplicate", "msg_rejected", "msg_rejected_mandatory", "msg_banned",
		"msg_channel_suspended", "msg_subsonly", "msg_r9k", "", "something_new"}
	for _, c := range retry {
		assert.Equal(t, domain.RetryLater, domain.ClassifyDrop(c), c)
	}
	for _, c := range give {
		assert.Equal(t, domain.GiveUp, domain.ClassifyDrop(c), c)
	}
}

func TestBackoff_FollowsScheduleThenRepeatsLastStep(t *testing.T) {
	s := []time.Duration{time.Second, 5 * time.Second, time.Minute}
	assert.Equal(t, time.Second, domain.Backoff(s, 0))
	assert.Equal(t, time.Second, domain.Backoff(s, 1))
	assert.Equal(t, 5*time.Second, domain.Backoff(s, 2))
	assert.Equal(t, time.Minute, domain.Backoff(s, 3))
	assert.Equal(t, time.Minute, domain.Backoff(s, 40))
	assert.Equal(t, time.Second, domain.Backoff(nil, 3))
}

func TestRateLimitDelay_WaitsForResetWithinBounds(t *testing.T) {
	now := time.Unix(1000, 0)
	assert.Equal(t, 3250*time.Millisecond, domain.RateLimitDelay(now, now.Add(3*time.Second), 0, time.Minute))
	assert.Equal(t, time.Second, domain.RateLimitDelay(now, now.Add(-time.Hour), time.Second, time.Minute))
	assert.Equal(t, time.Minute, domain.RateLimitDelay(now, now.Add(time.Hour), 0, time.Minute))
}
