package eventsubws

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
)

// PGLease keeps one EventSub WebSocket connection per deployment: the replica holding
// a PostgreSQL session advisory lock connects, the others wait. The lock lives with its
// connection, so a replica that dies or loses the database releases it at once and a
// standby takes over. (Twitch allows a few connections per user token, but two
// connections would each need their own subscription and receive every message twice.)
type PGLease struct {
	Pool *pgxpool.Pool
	Name string        // what the lease is for; the lock key derives from it
	Poll time.Duration // how often a standby tries and the holder checks its connection (default 2 s)
	Log  *zap.Logger
}

func (l *PGLease) key() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("mgm-lease:" + l.Name))
	return int64(h.Sum64())
}

func (l *PGLease) poll() time.Duration {
	if l.Poll > 0 {
		return l.Poll
	}
	return 2 * time.Second
}

// Run waits for the lease, then runs work with a context that ends when the lease is
// lost (or ctx ends), and tries again; it returns when ctx ends.
func (l *PGLease) Run(ctx context.Context, work func(ctx context.Context)) error {
	log := l.Log
	if log == nil {
		log = zap.NewNop()
	}
	standby := false
	for ctx.Err() == nil {
		held, err := l.hold(ctx, func(ctx context.Context) {
			log.Info("eventsub websocket lease taken: this replica holds the connection", zap.String("lease", l.Name))
			work(ctx)
		})
		if err != nil && ctx.Err() == nil {
			log.Warn("eventsub websocket lease: database trouble; trying again", zap.Error(err))
		}
		if !held && !standby && err == nil {
			standby = true
			log.Info("eventsub websocket lease held by another replica: standing by", zap.String("lease", l.Name))
		}
		if held {
			standby = false
		}
		select {
		case <-ctx.Done():
		case <-time.After(l.poll()):
		}
	}
	return ctx.Err()
}

// hold takes the lock once if it is free and runs work while it holds it.
func (l *PGLease) hold(ctx context.Context, work func(ctx context.Context)) (bool, error) {
	conn, err := l.Pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.key()).Scan(&got); err != nil {
		conn.Release()
		return false, err
	}
	if !got {
		conn.Release()
		return false, nil
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		work(wctx)
	}()
	var lost error
	for lost == nil {
		select {
		case <-ctx.Done():
		case <-done:
		case <-time.After(l.poll()):
			// A slow answer is not a lost connection (a dead one fails at once): only
			// a ping unanswered for seconds gives the lease up, so a busy database does
			// not cost the socket — and the chat Twitch would not send again.
			pctx, pcancel := context.WithTimeout(ctx, max(l.poll()*2, 5*time.Second))
			if err := conn.Ping(pctx); err != nil && ctx.Err() == nil {
				lost = fmt.Errorf("lost the lease's database connection: %w", err)
			}
			pcancel()
			continue
		}
		break
	}
	cancel()
	<-done
	if lost != nil {
		// The lock went with the connection; drop it for good.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
		return true, lost
	}
	uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ucancel()
	if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, l.key()); err != nil {
		_ = conn.Conn().Close(context.Background())
	}
	conn.Release()
	return true, nil
}
