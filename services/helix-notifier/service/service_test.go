package service_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"

	ndomain "github.com/mimiron/mgm/services/helix-notifier/domain"
	"github.com/mimiron/mgm/services/helix-notifier/service"
)

// settle gives a wrongly scheduled retry the time to show up before counting posts.
func settle() { time.Sleep(700 * time.Millisecond) }

func TestAnnounce_SentPostsTheExactLineOnce(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.replica(fastOptions())
	id := h.sent("Артас")
	// Other transitions are not announced.
	h.publishStatus("other-payout", "Джайна", domain.PayoutPending, domain.PayoutInProgress)

	n := h.waitNotice(events.NotifyRewardPosted, id)
	posts := h.postsFor("Артас")
	require.Len(t, posts, 1)
	assert.Equal(t, "Награда отправлена персонажу Артас на почту, проверяй ящик!", posts[0].Message)
	assert.Equal(t, broadcaster, posts[0].BroadcasterID)
	assert.Equal(t, sender, posts[0].SenderID)
	assert.Equal(t, "reward-posted-"+id, n.msgID)
	assert.Equal(t, posts[0].MessageID, n.notice.MessageID)
	assert.Equal(t, "Артас", n.notice.CharacterName)

	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	assert.Len(t, h.fake.Posts(), 1, "nothing else was posted")
	assert.Equal(t, ndomain.Posted, h.state(id).State)
}

func TestAnnounce_SenderDefaultsToBroadcasterWithAppToken(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config) { c.SenderID, c.SenderToken, c.SenderRefresh = "", "", "" })
	h.replica(fastOptions())
	id := h.sent("Тралл")
	h.waitNotice(events.NotifyRewardPosted, id)
	posts := h.postsFor("Тралл")
	require.Len(t, posts, 1)
	assert.Equal(t, broadcaster, posts[0].SenderID)
	assert.Equal(t, 1, h.fake.AppTokensIssued())
}

// sender_id is the id of the account whose token the backend holds, from
// /oauth2/validate, whatever TWITCH_SENDER_ID says
// (https://dev.twitch.tv/docs/api/reference/#send-chat-message).
func TestAnnounce_SenderIDComesFromTheValidatedToken(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config) { c.SenderID = "7777777" })
	h.replica(fastOptions())
	id := h.sent("Джайна")
	h.waitNotice(events.NotifyRewardPosted, id)
	posts := h.postsFor("Джайна")
	require.Len(t, posts, 1)
	assert.Equal(t, sender, posts[0].SenderID)
	assert.True(t, posts[0].AppToken)
	assert.GreaterOrEqual(t, h.fake.Validations(), 1)
}

func TestAnnounce_HelixDownThenUpPostsExactlyOnce(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.fake.SetDown(true)
	h.replica(fastOptions())
	id := h.sent("Вариан")
	testenv.Eventually(t, 10*time.Second, func() bool {
		return h.fake.Requests("POST /helix/chat/messages") >= 3
	}, "notifier never tried")
	assert.Empty(t, h.fake.Posts())
	h.fake.SetDown(false)

	h.waitNotice(events.NotifyRewardPosted, id)
	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	assert.Len(t, h.postsFor("Вариан"), 1)
	assert.Empty(t, h.notices(events.NotifyRewardFailed, id))
}

func TestAnnounce_BreakerStopsCallsAndLastAttemptRecordsFailure(t *testing.T) {
	t.Parallel()
	h := start(t)
	o := fastOptions()
	o.BreakerFailures = 2
	o.BreakerOpenFor = time.Hour
	o.MaxDeliver = 5
	h.fake.SetDown(true)
	h.replica(o)
	id := h.sent("Сильвана")

	n := h.waitNotice(events.NotifyRewardFailed, id)
	assert.Equal(t, 2, h.fake.Requests("POST /helix/chat/messages"), "the open breaker spared Helix the other deliveries")
	assert.Contains(t, n.notice.Reason, "retries exhausted")
	assert.Contains(t, n.notice.Reason, "breaker")
	a := h.state(id)
	assert.Equal(t, ndomain.Failed, a.State)
	assert.NotNil(t, a.FailedAt)
	assert.Equal(t, int64(1), h.metric("failed"))
	assert.True(t, h.errorLogged("reward announcement given up"))
	h.drained(events.StreamPayout.Name, service.Durable)
}

func TestAnnounce_RetryableDropIsRetriedUntilSent(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.fake.DropNext(2, "msg_slowmode", "slow mode")
	h.replica(fastOptions())
	id := h.sent("Джайна")
	n := h.waitNotice(events.NotifyRewardPosted, id)
	assert.Equal(t, 3, n.notice.Attempts)
	assert.Len(t, h.fake.Attempts(), 3)
	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	assert.Len(t, h.postsFor("Джайна"), 1)
}

func TestAnnounce_TerminalDropIsRecordedAndNeverRetried(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.fake.DropNext(1, "msg_banned", "sender is banned")
	h.replica(fastOptions())
	id := h.sent("Гаррош")
	n := h.waitNotice(events.NotifyRewardFailed, id)
	assert.Contains(t, n.notice.Reason, "msg_banned")
	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	assert.Len(t, h.fake.Attempts(), 1, "no retry after a terminal drop")
	assert.Empty(t, h.fake.Posts())
	assert.Equal(t, int64(1), h.metric("failed"))
	assert.True(t, h.errorLogged("reward announcement given up"))

	out, err := h.cli("failures", "list")
	require.NoError(t, err)
	assert.Contains(t, out, id)
	assert.Contains(t, out, "msg_banned")
}

func TestAnnounce_PermanentHTTPErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.fake.FailNext(1, http.StatusBadRequest)
	h.replica(fastOptions())
	id := h.sent("Иллидан")
	h.waitNotice(events.NotifyRewardFailed, id)
	settle()
	assert.Equal(t, 1, h.fake.Requests("POST /helix/chat/messages"))
	assert.Equal(t, ndomain.Failed, h.state(id).State)
}

func TestAnnounce_RateLimitWaitsForReset(t *testing.T) {
	t.Parallel()
	h := start(t)
	reset := time.Now().Add(2 * time.Second).Truncate(time.Second)
	h.fake.RateLimitNext(1, reset)
	h.replica(fastOptions())
	id := h.sent("Утер")
	h.waitNotice(events.NotifyRewardPosted, id)
	posts := h.postsFor("Утер")
	require.Len(t, posts, 1)
	assert.False(t, posts[0].At.Before(reset), "posted at %v before Ratelimit-Reset %v", posts[0].At, reset)
	assert.Equal(t, 2, h.fake.Requests("POST /helix/chat/messages"), "no attempt before the reset")
}

func TestAnnounce_TwoReplicasPostEachPayoutOnce(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.replica(fastOptions())
	h.replica(fastOptions())
	names := []string{"Артас", "Джайна", "Тралл", "Вариан", "Сильвана", "Утер", "Иллидан", "Гаррош"}
	ids := map[string]string{}
	for _, n := range names {
		ids[n] = h.sent(n)
	}
	// The payout service may publish a transition twice (a relay retry under a new id,
	// a replay): each is announced once all the same.
	for _, n := range names {
		h.publishStatus(ids[n], n, domain.PayoutInProgress, domain.PayoutSent)
	}
	for _, n := range names {
		h.waitNotice(events.NotifyRewardPosted, ids[n])
	}
	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	for _, n := range names {
		assert.Len(t, h.postsFor(n), 1, n)
	}
	assert.Len(t, h.fake.Posts(), len(names))
}

// The two crash windows of an announcement (app.Service.Announce) are tested from the
// state a crash leaves behind, written the way a notifier writes it.

func TestAnnounce_CrashAfterRecordedBeforeAckDoesNotPostAgain(t *testing.T) {
	t.Parallel()
	h := start(t)
	id := uuid.NewString()
	// Helix accepted the line and the notifier recorded it, then stopped before
	// publishing the event and acknowledging the delivery.
	h.seed(id, "Кел", func(a *ndomain.Announcement) {
		require.True(t, a.Claim("crashed-notifier", time.Now()))
		require.NoError(t, a.Posted("crashed-notifier", "m-kel", time.Now()))
	})
	h.replica(fastOptions())
	h.publishStatus(id, "Кел", domain.PayoutInProgress, domain.PayoutSent) // the redelivery
	n := h.waitNotice(events.NotifyRewardPosted, id)
	assert.Equal(t, "reward-posted-"+id, n.msgID)
	assert.Equal(t, "m-kel", n.notice.MessageID)
	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	assert.Empty(t, h.postsFor("Кел"), "the redelivery found the record and did not post again")
	assert.Equal(t, ndomain.Posted, h.state(id).State)
}

func TestAnnounce_CrashBetweenHelixAndRecordIsReportedUnknownNotReposted(t *testing.T) {
	t.Parallel()
	h := start(t)
	id := uuid.NewString()
	// A notifier claimed the announcement and called Helix, then stopped before it
	// recorded the answer: the claim is all that is left.
	h.seed(id, "Малфурион", func(a *ndomain.Announcement) {
		require.True(t, a.Claim("crashed-notifier", time.Now()))
	})
	h.replica(fastOptions())
	h.publishStatus(id, "Малфурион", domain.PayoutInProgress, domain.PayoutSent) // the redelivery
	n := h.waitNotice(events.NotifyRewardFailed, id)
	assert.Equal(t, "unknown_outcome", n.notice.Reason)
	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	assert.Empty(t, h.postsFor("Малфурион"), "an unknown outcome is never posted again automatically")
	assert.Equal(t, ndomain.Unknown, h.state(id).State)
	assert.Equal(t, int64(1), h.metric("unknown"))

	out, err := h.cli("failures", "list")
	require.NoError(t, err)
	assert.Contains(t, out, id)
	assert.Contains(t, out, "unknown")
}

func TestFailures_ReplayPostsOnceAndClearsTheList(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.fake.DropNext(1, "msg_rejected", "held by AutoMod")
	h.replica(fastOptions())
	id := h.sent("Тиранда")
	h.waitNotice(events.NotifyRewardFailed, id)
	require.Empty(t, h.fake.Posts())

	var list []events.Announcement
	require.NoError(t, natsx.Call(context.Background(), h.nc, events.RPCNotifierFailures, struct{}{}, &list))
	require.Len(t, list, 1)
	assert.Equal(t, id, list[0].PayoutID)
	assert.Equal(t, string(ndomain.Failed), list[0].State)

	out, err := h.cli("failures", "replay", id)
	require.NoError(t, err)
	assert.Contains(t, out, "replay queued")
	h.waitNotice(events.NotifyRewardPosted, id)
	h.drained(events.StreamNotify.Name, service.ReplayDurable)
	settle()
	assert.Len(t, h.postsFor("Тиранда"), 1)
	assert.Equal(t, 1, h.state(id).Replays)

	out, err = h.cli("failures", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "no failed announcements")

	// A posted announcement is never replayed.
	_, err = h.cli("failures", "replay", id)
	assert.ErrorContains(t, err, "posted")
	var a events.Announcement
	err = natsx.Call(context.Background(), h.nc, events.RPCNotifierReplay, events.ReplayRequest{PayoutID: id}, &a)
	assert.ErrorContains(t, err, "posted")
}

// The announcement is posted with the app token (a user token would post to every
// channel of a Shared Chat session, https://dev.twitch.tv/docs/api/reference/#send-chat-message).
func TestAnnounce_RenewsTheAppTokenOn401(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.replica(fastOptions())
	first := h.sent("Андуин")
	h.waitNotice(events.NotifyRewardPosted, first)
	h.fake.ExpireTokens()
	second := h.sent("Болвар")
	h.waitNotice(events.NotifyRewardPosted, second)
	assert.GreaterOrEqual(t, h.fake.AppTokensIssued(), 2)
	assert.Len(t, h.postsFor("Болвар"), 1)
	assert.True(t, h.postsFor("Болвар")[0].AppToken)
}

func TestAnnounce_RefusedCredentialsAreRecordedAndNeverLogged(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config) { c.ClientSecret = "not-the-client-secret-value" })
	h.replica(fastOptions())
	id := h.sent("Вол")
	n := h.waitNotice(events.NotifyRewardFailed, id)
	assert.Contains(t, n.notice.Reason, "unauthorized")
	assert.True(t, h.errorLogged("reward announcement given up"))
	text := h.loggedText()
	assert.NotContains(t, text, "not-the-client-secret-value")
	assert.NotContains(t, text, h.cfg.SenderToken)
	assert.NotContains(t, text, h.cfg.SenderRefresh)
}

func TestAnnounce_StaleSentEventIsRecordedNotPosted(t *testing.T) {
	t.Parallel()
	h := start(t)
	o := fastOptions()
	o.MaxEventAge = time.Millisecond
	id := h.sent("Кайроз")
	time.Sleep(20 * time.Millisecond)
	h.replica(o)
	n := h.waitNotice(events.NotifyRewardFailed, id)
	assert.Contains(t, n.notice.Reason, "too old")
	assert.Empty(t, h.fake.Posts())
}

func TestAnnounce_HelixTimeoutIsRetriedAndPostsOnce(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.fake.Hang(2 * time.Second)
	h.replica(fastOptions())
	id := h.sent("Нелтарион")
	testenv.Eventually(t, 10*time.Second, func() bool {
		return h.fake.Requests("POST /helix/chat/messages") >= 2
	}, "notifier never retried the timed-out post")
	h.fake.Hang(0)
	h.waitNotice(events.NotifyRewardPosted, id)
	h.drained(events.StreamPayout.Name, service.Durable)
	settle()
	assert.Len(t, h.postsFor("Нелтарион"), 1)
}

func TestOps_MetricsAndHealthServedOnTheOpsAddress(t *testing.T) {
	t.Parallel()
	h := start(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h.ops = l
	h.replica(fastOptions())
	base := "http://" + l.Addr().String()
	testenv.Eventually(t, 10*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "notifier never ready")

	id := h.sent("Калесгос")
	h.waitNotice(events.NotifyRewardPosted, id)
	m := scrape(t, base+"/metrics")
	assert.Equal(t, float64(1), m["mgm_helix_notifier_posted_total"])
	for _, name := range []string{"failed", "unknown", "retried", "dropped"} {
		assert.Contains(t, m, "mgm_helix_notifier_"+name+"_total")
	}
}

// scrape reads a Prometheus text page into name → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		require.True(t, ok, line)
		n, err := strconv.ParseFloat(v, 64)
		require.NoError(t, err, line)
		out[name] = n
	}
	require.NoError(t, sc.Err())
	return out
}
