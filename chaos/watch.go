package main

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// watcher polls the database while the run goes on and notes when each piece of work
// first became visible: an enrollment (its row in pool.enrollment_requests) and a
// payout's Sent status. The recovery times are computed from these notes; the poll
// period (200 ms) bounds their precision.
type watcher struct {
	db *pgxpool.Pool

	mu        sync.Mutex
	enrolled  map[string]time.Time // request_key → first seen
	sent      map[string]sentPayout
	pollFails int
}

type sentPayout struct {
	ID, UserID, Name string
	CreatedAt        time.Time
	SeenSent         time.Time
}

func newWatcher(db *pgxpool.Pool) *watcher {
	return &watcher{db: db, enrolled: map[string]time.Time{}, sent: map[string]sentPayout{}}
}

func (w *watcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		w.poll(ctx)
		sleep(ctx, 200*time.Millisecond)
	}
}

func (w *watcher) poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	keys, err := queryStrings(ctx, w.db, `SELECT request_key FROM pool.enrollment_requests WHERE outcome = ''`)
	if err != nil {
		w.mu.Lock()
		w.pollFails++
		w.mu.Unlock()
		return
	}
	rows, err := w.db.Query(ctx, `SELECT id::text, twitch_user_id, character_name, created_at FROM payout.payouts WHERE status = 'Sent'`)
	var sent []sentPayout
	if err == nil {
		for rows.Next() {
			var p sentPayout
			if err := rows.Scan(&p.ID, &p.UserID, &p.Name, &p.CreatedAt); err == nil {
				sent = append(sent, p)
			}
		}
		rows.Close()
		err = rows.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.pollFails++
	}
	for _, k := range keys {
		if _, ok := w.enrolled[k]; !ok {
			w.enrolled[k] = now
		}
	}
	for _, p := range sent {
		if _, ok := w.sent[p.ID]; !ok {
			p.SeenSent = now
			w.sent[p.ID] = p
		}
	}
}

func (w *watcher) enrolledAt(key string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.enrolled[key]
	return t, ok
}

func (w *watcher) sentPayouts() []sentPayout {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]sentPayout, 0, len(w.sent))
	for _, p := range w.sent {
		out = append(out, p)
	}
	return out
}

func queryStrings(ctx context.Context, db *pgxpool.Pool, sql string, args ...any) ([]string, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
