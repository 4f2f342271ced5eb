package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/services/gift-queue/adapters"
	"github.com/mimiron/mgm/services/gift-queue/ports"
	"github.com/mimiron/mgm/services/gift-queue/service"
)

const streamer = "b1"

type env struct {
	t     *testing.T
	dbURL string
	nc    *nats.Conn
	js    jetstream.JetStream
	clock *testenv.Clock
	db    *pgxpool.Pool      // the service's schema, for inspection
	store *adapters.Postgres // the repository on it
}

func newEnv(t *testing.T) *env {
	t.Helper()
	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	e := &env{t: t, dbURL: testenv.Postgres(t), nc: nc, js: js,
		clock: testenv.NewClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))}
	e.startReplica()
	pool, err := adapters.Schema.Open(context.Background(), e.dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	e.db, e.store = pool, adapters.New(pool, ports.EncodeChange)
	return e
}

// startReplica runs one more copy of the service on the same database and NATS, with
// its own connection (so the queue group spreads requests over the replicas).
func (e *env) startReplica() {
	e.t.Helper()
	nc, js := testenv.Conn(e.t, e.nc.ConnectedUrl())
	cfg := config.Defaults()
	cfg.DatabaseURL = e.dbURL
	cfg.BroadcasterID = streamer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- service.RunWith(ctx, svc.Deps{Config: cfg, Log: testenv.Logger(e.t), NC: nc, JS: js, Now: e.clock.Now},
			service.Options{SweepInterval: 10 * time.Millisecond, RelayInterval: 20 * time.Millisecond, Ready: func() { close(ready) }})
	}()
	e.t.Cleanup(func() {
		cancel()
		assert.NoError(e.t, <-done)
	})
	select {
	case <-ready:
	case err := <-done:
		e.t.Fatalf("service stopped: %v", err)
	case <-time.After(20 * time.Second):
		e.t.Fatal("service not ready")
	}
}

func (e *env) call(subject string, req, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return natsx.Call(ctx, e.nc, subject, req, out)
}

func (e *env) create(user, name, requestID string) (events.GiftViewerRequest, error) {
	var out events.GiftViewerRequest
	err := e.call(events.RPCGiftCreate, events.GiftCreateRequest{StreamerID: streamer, TwitchUserID: user, CharacterName: name, RequestID: requestID}, &out)
	return out, err
}

func (e *env) mustCreate(user, name string) events.GiftViewerRequest {
	e.t.Helper()
	out, err := e.create(user, name, "")
	require.NoError(e.t, err)
	return out
}

func (e *env) list() []events.GiftRequest {
	e.t.Helper()
	var out []events.GiftRequest
	require.NoError(e.t, e.call(events.RPCGiftList, events.GiftListRequest{StreamerID: streamer}, &out))
	return out
}

func (e *env) queue(user string) events.GiftQueueSnapshot {
	e.t.Helper()
	var out events.GiftQueueSnapshot
	require.NoError(e.t, e.call(events.RPCGiftQueue, events.GiftQueueRequest{StreamerID: streamer, TwitchUserID: user}, &out))
	return out
}

func (e *env) status(id string) string {
	e.t.Helper()
	r, err := e.store.Get(context.Background(), id)
	require.NoError(e.t, err)
	return string(r.Status)
}

func (e *env) setStatus(id, status string) (events.GiftRequest, error) {
	var out events.GiftRequest
	err := e.call(events.RPCGiftUpdate, events.GiftUpdateRequest{StreamerID: streamer, ID: id, Status: status}, &out)
	return out, err
}

func (e *env) selectItem(id string, item int64) (events.GiftRequest, error) {
	var out events.GiftRequest
	err := e.call(events.RPCGiftSelect, events.GiftSelectRequest{StreamerID: streamer, ID: id, ItemID: item}, &out)
	return out, err
}

func (e *env) confirm(id string, accepted bool) (events.GiftRequest, error) {
	var out events.GiftRequest
	err := e.call(events.RPCGiftConfirm, events.GiftConfirmRequest{StreamerID: streamer, ID: id, Accepted: accepted}, &out)
	return out, err
}

// complete takes the served request id through select, consent and sent.
func (e *env) complete(id string) events.GiftRequest {
	e.t.Helper()
	_, err := e.selectItem(id, 33470)
	require.NoError(e.t, err)
	_, err = e.confirm(id, true)
	require.NoError(e.t, err)
	out, err := e.setStatus(id, domain.GiftCompleted)
	require.NoError(e.t, err)
	return out
}

type chatOpts struct {
	messageID, user, text, channel, source string
	badges                                 []string
}

// chat publishes a `!twgift` chat command the way ingest does.
func (e *env) chat(o chatOpts) {
	e.t.Helper()
	if o.channel == "" {
		o.channel = streamer
	}
	if o.badges == nil {
		o.badges = []string{"subscriber"}
	}
	env, err := events.New("", events.ChatTwGift, "test", e.clock.Now(), events.ChatCommand{
		MessageID: o.messageID, BroadcasterUserID: o.channel, SourceBroadcasterUserID: o.source,
		UserID: o.user, UserName: "viewer" + o.user, Text: o.text, Badges: o.badges, SentAt: e.clock.Now(),
	})
	require.NoError(e.t, err)
	_, err = natsx.PublishEvent(context.Background(), e.js, env)
	require.NoError(e.t, err)
}

// chatConsumed waits until the chat consumer acknowledged everything published.
func (e *env) chatConsumed() {
	e.t.Helper()
	testenv.Eventually(e.t, 10*time.Second, func() bool {
		ok, err := testenv.CaughtUp(context.Background(), e.js, events.StreamChat.Name, "gift-queue-chat")
		return err == nil && ok
	}, "chat commands not consumed")
}

func code(err error) errs.Code { return errs.CodeOf(err) }

func TestChat_SecondRequestWaitsUntilFirstCompletes(t *testing.T) {
	e := newEnv(t)
	e.chat(chatOpts{messageID: "m1", user: "1", text: "!twgift Норинн"})
	e.chat(chatOpts{messageID: "m2", user: "2", text: "!twgift Thrall"})
	e.chatConsumed()

	list := e.list()
	require.Len(t, list, 2)
	assert.Equal(t, "Норинн", list[0].CharacterName)
	assert.Equal(t, domain.GiftSelectingItem, list[0].Status, "the first is served at once")
	assert.Equal(t, domain.GiftPending, list[1].Status, "the second waits")
	assert.Equal(t, domain.GiftSourceChat, list[0].Source)
	assert.Equal(t, "viewer1", list[0].TwitchDisplayName)

	q1, q2 := e.queue("1"), e.queue("2")
	assert.Equal(t, 2, q2.QueueLength)
	assert.Equal(t, 1, q2.PendingCount)
	require.NotNil(t, q2.Active)
	assert.Equal(t, "Норинн", q2.Active.CharacterName)
	require.NotNil(t, q1.MyRequest)
	require.NotNil(t, q2.MyRequest)
	assert.Equal(t, []int{1, 0}, []int{q1.MyRequest.Position, q1.MyRequest.ETASeconds})
	assert.Equal(t, []int{2, 65}, []int{q2.MyRequest.Position, q2.MyRequest.ETASeconds}, "ETA = (position − 1) × 65 s")
	assert.Equal(t, 65, q2.ETAPerPositionSeconds)
	assert.Nil(t, e.queue("3").MyRequest)

	done := e.complete(list[0].ID)
	assert.Equal(t, domain.GiftCompleted, done.Status)
	assert.NotNil(t, done.AcceptedAt)
	assert.NotNil(t, done.CompletedAt)

	list = e.list()
	require.Len(t, list, 1)
	assert.Equal(t, "Thrall", list[0].CharacterName)
	assert.Equal(t, domain.GiftSelectingItem, list[0].Status, "the next one is promoted")
	q1 = e.queue("1")
	assert.Equal(t, domain.GiftCompleted, q1.MyRequest.Status)
	assert.Equal(t, 0, q1.MyRequest.Position)
	assert.True(t, q1.GiftUsed)
	assert.Equal(t, 1, e.queue("2").MyRequest.Position)
}

func TestSweep_TimeoutsFailAndPromoteTheNext(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.mustCreate("1", "Alpha"), e.mustCreate("2", "Beta"), e.mustCreate("3", "Gamma")
	assert.Equal(t, domain.GiftSelectingItem, a.Status)
	assert.Equal(t, []int{1, 2, 3}, []int{a.Position, b.Position, c.Position})
	assert.Equal(t, []int{0, 65, 130}, []int{a.ETASeconds, b.ETASeconds, c.ETASeconds})

	e.clock.Advance(59 * time.Second)
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, domain.GiftSelectingItem, e.status(a.ID), "not before 60 s")

	e.clock.Advance(time.Second)
	testenv.Eventually(t, 5*time.Second, func() bool { return e.status(a.ID) == domain.GiftFailed }, "selection never timed out")
	ra, err := e.store.Get(context.Background(), a.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.GiftReasonSelectionTimeout, ra.Reason)
	testenv.Eventually(t, 5*time.Second, func() bool { return e.status(b.ID) == domain.GiftSelectingItem }, "next never promoted")

	_, err = e.selectItem(b.ID, 42)
	require.NoError(t, err)
	e.clock.Advance(5*time.Minute - time.Second)
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, domain.GiftWaitingConfirmation, e.status(b.ID), "not before 5 min")
	e.clock.Advance(time.Second)
	testenv.Eventually(t, 5*time.Second, func() bool { return e.status(b.ID) == domain.GiftFailed }, "consent never timed out")
	rb, err := e.store.Get(context.Background(), b.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.GiftReasonConfirmationTimeout, rb.Reason)
	testenv.Eventually(t, 5*time.Second, func() bool { return e.status(c.ID) == domain.GiftSelectingItem }, "third never promoted")

	// An accepted gift waits for its mail however long it takes.
	_, err = e.selectItem(c.ID, 42)
	require.NoError(t, err)
	_, err = e.confirm(c.ID, true)
	require.NoError(t, err)
	e.clock.Advance(time.Hour)
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, domain.GiftWaitingConfirmation, e.status(c.ID))
	_, err = e.setStatus(c.ID, domain.GiftCompleted)
	require.NoError(t, err)
}

func TestCreate_OncePerViewerCountedOnCompletion(t *testing.T) {
	e := newEnv(t)
	a := e.mustCreate("1", "Alpha")
	_, err := e.create("1", "Other", "")
	assert.Equal(t, errs.GiftRequestActive, code(err), "an open request blocks a second")

	_, err = e.setStatus(a.ID, domain.GiftFailed)
	require.NoError(t, err)
	b := e.mustCreate("1", "Alpha")
	assert.Equal(t, domain.GiftSelectingItem, b.Status, "a failed request does not use the gift up")
	e.complete(b.ID)

	_, err = e.create("1", "Alpha", "")
	assert.Equal(t, errs.GiftAlreadyUsed, code(err))
	e.chat(chatOpts{messageID: "again", user: "1", text: "!twgift Alpha"})
	e.chatConsumed()
	assert.Empty(t, e.list(), "a chat request after the gift was received is refused")

	// Usage is per streamer.
	var out events.GiftViewerRequest
	require.NoError(t, e.call(events.RPCGiftCreate, events.GiftCreateRequest{StreamerID: "other", TwitchUserID: "1", CharacterName: "Alpha"}, &out))
}

func TestChat_IgnoredMessagesCreateNothing(t *testing.T) {
	e := newEnv(t)
	e.chat(chatOpts{messageID: "n1", user: "1", text: "!twgift Alpha", badges: []string{"vip", "premium"}})
	e.chat(chatOpts{messageID: "n2", user: "2", text: "!twgift Alpha", source: "someone-else"})
	e.chat(chatOpts{messageID: "n3", user: "3", text: "!twgift Alpha", channel: "b2"})
	e.chat(chatOpts{messageID: "n4", user: "4", text: "!twgift Alpha Beta"})
	e.chat(chatOpts{messageID: "n5", user: "5", text: "!twgift A1pha"})
	e.chatConsumed()
	assert.Empty(t, e.list())
	e.chat(chatOpts{messageID: "n6", user: "6", text: "!twgift Alpha", source: streamer, badges: []string{"founder"}})
	e.chatConsumed()
	assert.Len(t, e.list(), 1, "a founder in the channel's own chat is served")
}

func TestChat_RepeatedMessageIDIsIgnored(t *testing.T) {
	e := newEnv(t)
	e.chat(chatOpts{messageID: "dup", user: "1", text: "!twgift Alpha"})
	e.chat(chatOpts{messageID: "dup", user: "1", text: "!twgift Alpha"})
	e.chatConsumed()
	list := e.list()
	require.Len(t, list, 1)

	// A message refused the first time stays refused, even once the refusal no longer holds.
	e.chat(chatOpts{messageID: "refused", user: "1", text: "!twgift Beta"})
	e.chatConsumed()
	_, err := e.setStatus(list[0].ID, domain.GiftFailed)
	require.NoError(t, err)
	e.chat(chatOpts{messageID: "refused", user: "1", text: "!twgift Beta"})
	e.chatConsumed()
	assert.Empty(t, e.list())
}

func TestUpdate_TransitionsAreValidated(t *testing.T) {
	e := newEnv(t)
	a, b := e.mustCreate("1", "Alpha"), e.mustCreate("2", "Beta")

	_, err := e.setStatus(b.ID, domain.GiftSelectingItem)
	assert.Equal(t, errs.InvalidTransition, code(err), "promotion is the backend's")
	_, err = e.setStatus(a.ID, domain.GiftWaitingConfirmation)
	assert.Equal(t, errs.InvalidTransition, code(err), "an item is chosen with select-item")
	_, err = e.setStatus(a.ID, domain.GiftCompleted)
	assert.Equal(t, errs.InvalidTransition, code(err))
	_, err = e.confirm(b.ID, true)
	assert.Equal(t, errs.InvalidTransition, code(err))
	_, err = e.selectItem(b.ID, 1)
	assert.Equal(t, errs.InvalidTransition, code(err), "a pending request is not served")
	_, err = e.setStatus(a.ID, "Done")
	assert.Equal(t, errs.Invalid, code(err))

	_, err = e.setStatus(a.ID, domain.GiftFailed)
	require.NoError(t, err)
	_, err = e.setStatus(a.ID, domain.GiftCompleted)
	var ee *errs.Error
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, errs.TerminalStatusChange, ee.Code)
	assert.Equal(t, domain.GiftFailed, ee.Details["from"])
	_, err = e.selectItem(a.ID, 1)
	assert.Equal(t, errs.TerminalStatusChange, code(err))
	_, err = e.confirm(a.ID, true)
	assert.Equal(t, errs.TerminalStatusChange, code(err), "consent after failure is not recorded")

	_, err = e.setStatus(uuid.NewString(), domain.GiftFailed)
	assert.Equal(t, errs.NotFound, code(err))
	err = e.call(events.RPCGiftUpdate, events.GiftUpdateRequest{StreamerID: "other", ID: b.ID, Status: domain.GiftFailed}, nil)
	assert.Equal(t, errs.NotFound, code(err), "another streamer's request does not exist here")
	err = e.call(events.RPCGiftUpdate, events.GiftUpdateRequest{StreamerID: streamer, ID: b.ID}, nil)
	assert.Equal(t, errs.Invalid, code(err), "neither status nor items")
}

func TestItems_ListedChosenOrNoItemsFails(t *testing.T) {
	e := newEnv(t)
	a, b := e.mustCreate("1", "Alpha"), e.mustCreate("2", "Beta")
	items := []events.GiftItem{{ItemID: 33470, Name: "Frostweave Cloth", Count: 32, Quality: 1}}
	var out events.GiftRequest
	require.NoError(t, e.call(events.RPCGiftUpdate, events.GiftUpdateRequest{StreamerID: streamer, ID: a.ID, Items: &items}, &out))
	assert.Equal(t, items, out.OfferedItems)
	_, err := e.selectItem(a.ID, 1)
	assert.Equal(t, errs.Invalid, code(err), "not among the listed items")
	require.NoError(t, e.call(events.RPCGiftSelect, events.GiftSelectRequest{StreamerID: streamer, ID: a.ID, ItemID: 33470, Count: 10}, &out))
	assert.Equal(t, "Frostweave Cloth", out.ItemName)
	assert.Equal(t, 10, out.ItemCount)
	require.NotNil(t, out.DeadlineAt)
	assert.Equal(t, e.clock.Now().Add(5*time.Minute).UTC(), out.DeadlineAt.UTC())
	_, err = e.confirm(a.ID, false)
	require.NoError(t, err)
	assert.Equal(t, domain.GiftFailed, e.status(a.ID))

	empty := []events.GiftItem{}
	require.NoError(t, e.call(events.RPCGiftUpdate, events.GiftUpdateRequest{StreamerID: streamer, ID: b.ID, Items: &empty}, &out))
	assert.Equal(t, domain.GiftFailed, out.Status)
	assert.Equal(t, domain.GiftReasonNoItems, out.Reason)
}

func TestRepeats_AreIdempotent(t *testing.T) {
	e := newEnv(t)
	reqID := uuid.NewString()
	first, err := e.create("1", "Alpha", reqID)
	require.NoError(t, err)
	assert.False(t, first.Replay)
	again, err := e.create("1", "Other", reqID)
	require.NoError(t, err)
	assert.True(t, again.Replay, "the same requestId answers the first request")
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, "Alpha", again.CharacterName)
	other, err := e.create("2", "Beta", reqID)
	require.NoError(t, err)
	assert.False(t, other.Replay, "request ids are per viewer")

	s1, err := e.selectItem(first.ID, 7)
	require.NoError(t, err)
	s2, err := e.selectItem(first.ID, 7)
	require.NoError(t, err)
	assert.Equal(t, s1.Version, s2.Version, "same item again changes nothing")
	c1, err := e.confirm(first.ID, true)
	require.NoError(t, err)
	c2, err := e.confirm(first.ID, true)
	require.NoError(t, err)
	assert.Equal(t, c1.Version, c2.Version)
	assert.Equal(t, c1.AcceptedAt, c2.AcceptedAt)
	d1, err := e.setStatus(first.ID, domain.GiftCompleted)
	require.NoError(t, err)
	d2, err := e.setStatus(first.ID, domain.GiftCompleted)
	require.NoError(t, err)
	assert.Equal(t, d1.Version, d2.Version)
	_, err = e.confirm(first.ID, true)
	assert.NoError(t, err, "a consent tag seen again after the mail went out still succeeds")
	replay, err := e.create("1", "Alpha", reqID)
	require.NoError(t, err)
	assert.True(t, replay.Replay)
	assert.Equal(t, domain.GiftCompleted, replay.Status)
}

func TestEvents_PublishedOncePerChangeWithDeterministicIDs(t *testing.T) {
	e := newEnv(t)
	a := e.mustCreate("1", "Alpha")
	e.complete(a.ID)
	// created, promoted, selected, accepted, completed
	msgs := giftMessages(t, e.js, 5)
	for i, m := range msgs {
		assert.Equal(t, fmt.Sprintf("gift:%s:v%d", a.ID, i+1), m.msgID)
		assert.Equal(t, int64(i+1), m.ev.Request.Version)
	}
	assert.Equal(t, []string{"Pending", "SelectingItem", "WaitingConfirmation", "WaitingConfirmation", "Completed"},
		[]string{msgs[0].ev.To, msgs[1].ev.To, msgs[2].ev.To, msgs[3].ev.To, msgs[4].ev.To})
	var n int
	require.NoError(t, e.db.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n))
	assert.Zero(t, n, "everything is published")
}

type giftMsg struct {
	msgID string
	ev    events.GiftRequestEvent
}

// giftMessages waits for want messages on MGM_GIFT and returns them in stream order.
func giftMessages(t *testing.T, js jetstream.JetStream, want int) []giftMsg {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, events.StreamGift.Name)
	require.NoError(t, err)
	testenv.Eventually(t, 10*time.Second, func() bool {
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs >= uint64(want)
	}, "gift events not published")
	time.Sleep(100 * time.Millisecond)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	var out []giftMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		require.NoError(t, err)
		var m giftMsg
		m.msgID = raw.Header.Get(jetstream.MsgIDHeader)
		_, err = events.Decode(raw.Data, &m.ev)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

func TestReplicas_NeverServeTwoOrPromoteTwice(t *testing.T) {
	e := newEnv(t)
	e.startReplica()
	const n = 8
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := e.create(fmt.Sprint(100+i), "Viewer", "")
			assert.NoError(t, err)
		}(i)
	}
	wg.Wait()

	active := func() int {
		var k int
		require.NoError(t, e.db.QueryRow(context.Background(),
			`SELECT count(*) FROM requests WHERE status IN ('SelectingItem','WaitingConfirmation')`).Scan(&k))
		return k
	}
	failed := func() int {
		var k int
		require.NoError(t, e.db.QueryRow(context.Background(),
			`SELECT count(*) FROM requests WHERE status = 'Failed'`).Scan(&k))
		return k
	}
	assert.Equal(t, 1, active())
	// Both replicas sweep; each timeout fails one request and promotes exactly one.
	for round := 1; round <= n; round++ {
		e.clock.Advance(61 * time.Second)
		testenv.Eventually(t, 5*time.Second, func() bool { return failed() == round }, "round %d: %d failed", round, failed())
		assert.LessOrEqual(t, active(), 1)
	}
	assert.Equal(t, 0, active())
	msgs := giftMessages(t, e.js, 3*n)
	promoted := map[string]int{}
	ids := map[string]bool{}
	for _, m := range msgs {
		assert.False(t, ids[m.msgID], "event %s published twice", m.msgID)
		ids[m.msgID] = true
		if m.ev.To == domain.GiftSelectingItem && m.ev.From == domain.GiftPending {
			promoted[m.ev.Request.ID]++
		}
	}
	assert.Len(t, msgs, 3*n, "created, promoted and failed, once each")
	assert.Len(t, promoted, n)
	for id, k := range promoted {
		assert.Equal(t, 1, k, "%s promoted %d times", id, k)
	}
}
