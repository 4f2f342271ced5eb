package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

// verdict is the end of the run: the four numbers of the last line and the findings
// behind them.
type verdict struct {
	Lost, Duplicated, DoublePosts, Stuck int
	findings                             []string
	facts                                []string
}

func (v *verdict) find(counter *int, n int, format string, args ...any) {
	if n <= 0 {
		return
	}
	*counter += n
	v.findings = append(v.findings, fmt.Sprintf(format, args...))
}

func (v *verdict) fact(format string, args ...any) {
	v.facts = append(v.facts, fmt.Sprintf(format, args...))
}

func (v *verdict) ok() bool {
	return v.Lost == 0 && v.Duplicated == 0 && v.DoublePosts == 0 && v.Stuck == 0
}

func (v *verdict) line() string {
	return fmt.Sprintf("chaos: %d lost, %d duplicated, %d double posts, %d stuck", v.Lost, v.Duplicated, v.DoublePosts, v.Stuck)
}

// auditInput is what the run knows besides the database.
type auditInput struct {
	enrollments []chatMessage
	gifts       []chatMessage
	posts       []fakehelix.Post
	driveEnd    time.Time
}

// audit checks the database, the streams and the fake Helix.
func audit(ctx context.Context, db *pgxpool.Pool, js jetstream.JetStream, in auditInput) (*verdict, error) {
	v := &verdict{}

	// ---- enrollments: every acknowledged !twgold is in the pool once (or won and left it).
	type reqRow struct{ user, outcome string }
	reqs := map[string]reqRow{}
	perUser := map[string]int{}
	rows, err := db.Query(ctx, `SELECT request_key, twitch_user_id, outcome FROM pool.enrollment_requests`)
	if err != nil {
		return nil, fmt.Errorf("read pool.enrollment_requests: %w", err)
	}
	for rows.Next() {
		var k string
		var r reqRow
		if err := rows.Scan(&k, &r.user, &r.outcome); err != nil {
			rows.Close()
			return nil, err
		}
		reqs[k] = r
		if strings.HasPrefix(k, "chat:") {
			perUser[r.user]++
		}
	}
	rows.Close()
	members, err := querySet(ctx, db, `SELECT twitch_user_id FROM pool.members`)
	if err != nil {
		return nil, err
	}
	won, err := querySet(ctx, db, `SELECT twitch_user_id FROM payout.payouts WHERE status = 'Sent'`)
	if err != nil {
		return nil, err
	}
	var acked, neverAcked, redelivered int
	var lostIDs, refusedIDs, goneIDs, keptIDs []string
	for _, m := range in.enrollments {
		if m.Attempts > 1 {
			redelivered++
		}
		if m.AckedAt.IsZero() {
			neverAcked++
			continue
		}
		acked++
		r, ok := reqs["chat:"+m.MessageID]
		switch {
		case !ok:
			lostIDs = append(lostIDs, m.UserID)
		case r.outcome != "":
			refusedIDs = append(refusedIDs, m.UserID+" ("+r.outcome+")")
		case !members[m.UserID] && !won[m.UserID]:
			goneIDs = append(goneIDs, m.UserID)
		case members[m.UserID] && won[m.UserID]:
			keptIDs = append(keptIDs, m.UserID)
		}
	}
	v.fact("enrollments: %d sent, %d acknowledged by ingest, %d needed redelivery", len(in.enrollments), acked, redelivered)
	v.find(&v.Stuck, neverAcked, "enrollments never acknowledged by the edge: %d", neverAcked)
	v.find(&v.Lost, len(lostIDs), "enrollments acknowledged but never recorded by the pool: %d (users %s)", len(lostIDs), sample(lostIDs))
	v.find(&v.Lost, len(refusedIDs), "valid enrollments refused: %d (%s)", len(refusedIDs), sample(refusedIDs))
	v.find(&v.Lost, len(goneIDs), "enrolled viewers neither in the pool nor paid: %d (users %s)", len(goneIDs), sample(goneIDs))
	v.find(&v.Stuck, len(keptIDs), "winners still in the pool after Sent: %d (users %s)", len(keptIDs), sample(keptIDs))
	var twice []string
	for u, n := range perUser {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%s×%d", u, n))
		}
	}
	v.find(&v.Duplicated, len(twice), "viewers with more than one recorded chat enrollment: %s", sample(twice))

	var poolSize, eligible, nMembers, nSlots, maxSlot int64
	err = db.QueryRow(ctx, `SELECT s.pool_size, s.eligible_count,
		(SELECT count(*) FROM pool.members), (SELECT count(slot) FROM pool.members),
		(SELECT coalesce(max(slot), -1) FROM pool.members)
		FROM pool.pool_state s`).Scan(&poolSize, &eligible, &nMembers, &nSlots, &maxSlot)
	if err != nil {
		return nil, fmt.Errorf("read pool.pool_state: %w", err)
	}
	v.fact("pool: %d members (%d eligible); pool_state says %d (%d eligible)", nMembers, nSlots, poolSize, eligible)
	v.find(&v.Duplicated, int(abs(poolSize-nMembers)), "pool_state.pool_size %d but %d member rows", poolSize, nMembers)
	v.find(&v.Duplicated, int(abs(eligible-nSlots)), "pool_state.eligible_count %d but %d members with a draw slot", eligible, nSlots)
	v.find(&v.Duplicated, int(abs(maxSlot+1-nSlots)), "draw slots are not dense: max slot %d for %d eligible members", maxSlot, nSlots)

	enrolledEvents := map[string]int{}
	if err := readStream(ctx, js, events.StreamPool.Name, events.PoolMemberEnrolled, func(env events.Envelope) {
		var m events.PoolMember
		if json.Unmarshal(env.Data, &m) == nil {
			enrolledEvents[m.TwitchUserID]++
		}
	}); err != nil {
		return nil, err
	}
	var evTwice []string
	for u, n := range enrolledEvents {
		if n > 1 {
			evTwice = append(evTwice, fmt.Sprintf("%s×%d", u, n))
		}
	}
	v.find(&v.Duplicated, len(evTwice), "viewers announced enrolled more than once on %s: %s", events.StreamPool.Name, sample(evTwice))

	// ---- payouts: one per cycle, one per winner, the cycle and the payout agree.
	dupCycles, err := queryStrings(ctx, db, `SELECT spin_cycle_id || '×' || count(*) FROM payout.payouts GROUP BY spin_cycle_id HAVING count(*) > 1`)
	if err != nil {
		return nil, err
	}
	v.find(&v.Duplicated, len(dupCycles), "spin cycles with more than one payout: %s", sample(dupCycles))
	dupUsers, err := queryStrings(ctx, db, `SELECT twitch_user_id || '×' || count(*) FROM payout.payouts GROUP BY twitch_user_id HAVING count(*) > 1`)
	if err != nil {
		return nil, err
	}
	v.find(&v.Duplicated, len(dupUsers), "viewers who won more than one payout (each enrolled once): %s", sample(dupUsers))
	mismatch, err := queryStrings(ctx, db, `SELECT c.spin_cycle_id::text FROM roulette.cycles c
		LEFT JOIN payout.payouts p ON p.spin_cycle_id = c.spin_cycle_id::text
		WHERE c.outcome = 'winner' AND (p.id IS NULL OR p.id::text <> c.payout_id)`)
	if err != nil {
		return nil, err
	}
	v.find(&v.Duplicated, len(mismatch), "winning cycles whose payout id is not the payout of that cycle: %s", sample(mismatch))
	created := map[string]map[string]bool{}
	if err := readStream(ctx, js, events.StreamPayout.Name, events.PayoutCreated, func(env events.Envelope) {
		var e events.PayoutEvent
		if json.Unmarshal(env.Data, &e) == nil {
			if created[e.Payout.SpinCycleID] == nil {
				created[e.Payout.SpinCycleID] = map[string]bool{}
			}
			created[e.Payout.SpinCycleID][e.Payout.ID] = true
		}
	}); err != nil {
		return nil, err
	}
	var dupCreated []string
	for c, ids := range created {
		if len(ids) > 1 {
			dupCreated = append(dupCreated, fmt.Sprintf("%s×%d", c, len(ids)))
		}
	}
	v.find(&v.Duplicated, len(dupCreated), "spin cycles with more than one %s event: %s", events.PayoutCreated, sample(dupCreated))

	// ---- announcements: every Sent payout announced exactly once, nothing else posted.
	type sent struct{ id, name string }
	var sents []sent
	rows, err = db.Query(ctx, `SELECT id::text, character_name FROM payout.payouts WHERE status = 'Sent'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s sent
		if err := rows.Scan(&s.id, &s.name); err != nil {
			rows.Close()
			return nil, err
		}
		sents = append(sents, s)
	}
	rows.Close()
	matched := make([]bool, len(in.posts))
	var missing, double []string
	extra := 0
	for _, s := range sents {
		n := 0
		for i, p := range in.posts {
			if mentions(p.Message, s.name) {
				n++
				matched[i] = true
			}
		}
		switch {
		case n == 0:
			missing = append(missing, s.name)
		case n > 1:
			double = append(double, fmt.Sprintf("%s×%d", s.name, n))
			extra += n - 1
		}
	}
	var stray []string
	for i, p := range in.posts {
		if !matched[i] {
			stray = append(stray, p.Message)
		}
	}
	v.fact("payouts: %d Sent, %d announcements posted", len(sents), len(in.posts))
	v.find(&v.Lost, len(missing), "Sent payouts never announced: %s", sample(missing))
	v.find(&v.DoublePosts, extra, "payouts announced more than once: %s", sample(double))
	v.find(&v.DoublePosts, len(stray), "announcements for no Sent payout: %s", sample(stray))

	// ---- gifts: every acknowledged !twgift reached Completed.
	gifts := map[string]string{}
	rows, err = db.Query(ctx, `SELECT twitch_user_id, status FROM gift.requests`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var u, st string
		if err := rows.Scan(&u, &st); err != nil {
			rows.Close()
			return nil, err
		}
		gifts[u] = st
	}
	rows.Close()
	var giftLost, giftStuck []string
	completed := 0
	for _, m := range in.gifts {
		if m.AckedAt.IsZero() {
			giftStuck = append(giftStuck, m.UserID+" (never acknowledged)")
			continue
		}
		st, ok := gifts[m.UserID]
		switch {
		case !ok:
			giftLost = append(giftLost, m.UserID)
		case st == domain.GiftCompleted:
			completed++
		default:
			giftStuck = append(giftStuck, m.UserID+" ("+st+")")
		}
	}
	v.fact("gift requests: %d sent, %d Completed", len(in.gifts), completed)
	v.find(&v.Lost, len(giftLost), "gift requests acknowledged but never recorded: %s", sample(giftLost))
	v.find(&v.Stuck, len(giftStuck), "gift requests that did not complete: %s", sample(giftStuck))

	// ---- work that stopped moving: payouts of the drive not finished, events never relayed.
	active, err := queryStrings(ctx, db, `SELECT character_name || ' (' || status || ')' FROM payout.payouts
		WHERE status IN ('Pending', 'InProgress') AND created_at < $1`, in.driveEnd)
	if err != nil {
		return nil, err
	}
	v.find(&v.Stuck, len(active), "payouts created during the drive and still active after the drain: %s", sample(active))
	for _, q := range []struct{ what, sql string }{
		{"payout events never published", `SELECT event_id::text FROM payout.payout_events WHERE published_at IS NULL AND occurred_at < now() - interval '10 seconds'`},
		{"gift events never published", `SELECT event_id FROM gift.outbox WHERE published_at IS NULL AND occurred_at < now() - interval '10 seconds'`},
		{"roulette cycle events never published", `SELECT spin_cycle_id::text FROM roulette.cycles WHERE ((drawn_at IS NOT NULL AND NOT drawn_published) OR (outcome IS NOT NULL AND NOT completed_published)) AND updated_at < now() - interval '10 seconds'`},
	} {
		ids, err := queryStrings(ctx, db, q.sql)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.what, err)
		}
		v.find(&v.Stuck, len(ids), "%s: %d (%s)", q.what, len(ids), sample(ids))
	}
	// The pool's outbox deletes what it relayed: rows still there twice, seconds apart, are stuck.
	first, err := querySet(ctx, db, `SELECT id::text FROM pool.outbox`)
	if err != nil {
		return nil, err
	}
	if len(first) > 0 {
		sleep(ctx, 3*time.Second)
		again, err := querySet(ctx, db, `SELECT id::text FROM pool.outbox`)
		if err != nil {
			return nil, err
		}
		var stuck []string
		for id := range first {
			if again[id] {
				stuck = append(stuck, id)
			}
		}
		v.find(&v.Stuck, len(stuck), "pool outbox rows never relayed: %d", len(stuck))
	}
	return v, nil
}

// mentions reports whether an announcement names the character (names are whole words).
func mentions(message, name string) bool {
	return strings.Contains(message, " "+name+" ")
}

// printVerdict writes the findings, facts and the last line.
func printVerdict(w io.Writer, v *verdict) {
	for _, f := range v.facts {
		fmt.Fprintln(w, "  "+f)
	}
	for _, f := range v.findings {
		fmt.Fprintln(w, "  FAIL "+f)
	}
}
