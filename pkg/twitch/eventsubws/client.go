package eventsubws

// client.go stays whole (about 400 lines): session is one select loop over a session's
// states (welcome, keepalive, session_reconnect, the old connection's drain), and the
// rest of the file only serves that loop.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// DefaultURL is Twitch's EventSub WebSocket server.
const DefaultURL = "wss://eventsub.wss.twitch.tv/ws"

// Handler is what the client serves.
type Handler interface {
	// Subscribe creates the subscriptions for a new session (not after a
	// session_reconnect, which carries them over). Twitch closes a session that has
	// none within its keepalive window.
	Subscribe(ctx context.Context, sessionID string) error
	// Notification handles one notification. A resent notification (same message id
	// as a recent one) is not handed over twice by this client; the handler's own
	// deduplication (the bus's, on the message id) covers restarts. It must return
	// quickly and keep what it must not lose itself: while it runs the session
	// handles nothing else and soon stops reading, so keepalives, session_reconnect
	// and the server's pings wait (a client that misses pings is closed with 4002, and
	// "There is no replay of events that are lost",
	// https://dev.twitch.tv/docs/eventsub/handling-websocket-events/). An error is
	// logged; the notification is not offered again.
	Notification(ctx context.Context, m Message) error
	// Revocation reports a revoked subscription (m.Subscription.Status says why).
	Revocation(ctx context.Context, sessionID string, m Message)
}

// Client connects to the EventSub WebSocket server and keeps a session alive. Set the
// fields, then Run.
type Client struct {
	URL     string // default DefaultURL
	Handler Handler
	Log     *zap.Logger
	// Keepalive is the keepalive_timeout_seconds asked for (Twitch: 10 to 600); 0
	// leaves the server's default (10).
	Keepalive int
	// WelcomeTimeout is how long a new connection may stay silent before its
	// session_welcome (default 10 seconds).
	WelcomeTimeout time.Duration
	// Backoff is the wait before reconnecting after a failure, doubled on each
	// failure in a row up to MaxBackoff (defaults 1 second and 2 minutes).
	Backoff, MaxBackoff time.Duration

	metrics Metrics
	dedupe  recent
}

// Metrics counts what the client did since start.
type Metrics struct {
	Connects      atomic.Int64 // connections that got a welcome
	Reconnects    atomic.Int64 // session_reconnect followed
	Failures      atomic.Int64 // sessions that ended in a failure (bad frame, silence, close, …)
	BadFrames     atomic.Int64 // garbage frames and unknown message types
	Notifications atomic.Int64 // notifications handed to the handler
	Duplicates    atomic.Int64 // resent notifications dropped
	Revocations   atomic.Int64
	SessionID     atomic.Pointer[string]
}

// Metrics is the client's counters.
func (c *Client) Metrics() *Metrics { return &c.metrics }

// frame is one read from one connection.
type frame struct {
	conn *websocket.Conn
	data []byte
	err  error
}

// dialed is the result of dialing a reconnect URL.
type dialed struct {
	conn *websocket.Conn
	err  error
}

var (
	errNoWelcome = errors.New("no session_welcome in time")
	errSilent    = errors.New("no keepalive or notification within the keepalive timeout")
)

// Run keeps a session until ctx ends; it returns ctx's error.
func (c *Client) Run(ctx context.Context) error {
	backoff := c.backoff()
	for {
		started := time.Now()
		err := c.session(ctx, c.firstURL())
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.metrics.Failures.Add(1)
		if time.Since(started) > 2*time.Minute {
			backoff = c.backoff()
		}
		c.log().Warn("eventsub websocket: session ended; reconnecting", zap.Error(err), zap.Duration("in", backoff))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, c.maxBackoff())
	}
}

func (c *Client) log() *zap.Logger {
	if c.Log == nil {
		return zap.NewNop()
	}
	return c.Log
}

func (c *Client) backoff() time.Duration {
	if c.Backoff > 0 {
		return c.Backoff
	}
	return time.Second
}

func (c *Client) maxBackoff() time.Duration {
	if c.MaxBackoff > 0 {
		return c.MaxBackoff
	}
	return 2 * time.Minute
}

func (c *Client) firstURL() string {
	u := c.URL
	if u == "" {
		u = DefaultURL
	}
	if c.Keepalive > 0 {
		p, err := url.Parse(u)
		if err == nil {
			q := p.Query()
			q.Set("keepalive_timeout_seconds", strconv.Itoa(c.Keepalive))
			p.RawQuery = q.Encode()
			u = p.String()
		}
	}
	return u
}

func (c *Client) dial(ctx context.Context, u string) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, u, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to the EventSub WebSocket: %w", err)
	}
	conn.SetReadLimit(MaxFrame)
	return conn, nil
}

// read forwards every frame of conn until it fails. Reading also answers the server's
// pings (coder/websocket answers pings while a read is pending).
func read(ctx context.Context, conn *websocket.Conn, out chan<- frame) {
	for {
		_, b, err := conn.Read(ctx)
		select {
		case out <- frame{conn: conn, data: b, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// session runs one session from a fresh connection to its end, following
// session_reconnect on the way.
func (c *Client) session(ctx context.Context, first string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	frames := make(chan frame, 64)
	var conns []*websocket.Conn
	defer func() {
		for _, cn := range conns {
			_ = cn.CloseNow()
		}
	}()
	start := func(cn *websocket.Conn) {
		conns = append(conns, cn)
		go read(ctx, cn, frames)
	}

	current, err := c.dial(ctx, first)
	if err != nil {
		return err
	}
	start(current)
	welcomeTimeout := c.WelcomeTimeout
	if welcomeTimeout <= 0 {
		welcomeTimeout = 10 * time.Second
	}

	var (
		sessionID string
		keepalive time.Duration
		welcomed  bool
		pending   *websocket.Conn // connected to the reconnect URL, waiting for its welcome
		old       *websocket.Conn // replaced, read until it closes
		redial    chan dialed
		deadline  = time.NewTimer(welcomeTimeout)
		drainOld  <-chan time.Time
	)
	defer deadline.Stop()
	silence := func() time.Duration { return keepalive + max(keepalive/2, time.Second) }

	for {
		select {
		case <-ctx.Done():
			return ctx.Err()

		case <-deadline.C:
			if !welcomed || pending != nil {
				return errNoWelcome
			}
			return errSilent

		case <-drainOld:
			if old != nil {
				_ = old.Close(websocket.StatusNormalClosure, "")
				old = nil
			}
			drainOld = nil

		case d := <-redial:
			redial = nil
			if d.err != nil {
				return fmt.Errorf("follow session_reconnect: %w", d.err)
			}
			pending = d.conn
			start(pending)
			resetTimer(deadline, welcomeTimeout)

		case f := <-frames:
			switch f.conn {
			case current, pending, old:
			default:
				continue // a connection already dropped
			}
			if f.err != nil {
				switch f.conn {
				case old:
					old = nil
					continue
				case pending:
					return fmt.Errorf("the reconnect connection closed before its welcome: %w", f.err)
				}
				return fmt.Errorf("connection closed: %s", closeReason(f.err))
			}
			m, err := Parse(f.data)
			if err != nil {
				c.metrics.BadFrames.Add(1)
				return fmt.Errorf("unusable frame: %w", err)
			}
			switch {
			case f.conn == pending:
				if m.Type != TypeWelcome {
					return fmt.Errorf("the reconnect connection sent %s before its welcome", m.Type)
				}
				// The session moved: read the old connection a little longer for what
				// it still had in flight, then close it.
				old, current, pending = current, pending, nil
				keepalive = m.Session.KeepaliveTimeout
				sessionID = m.Session.ID
				c.metrics.SessionID.Store(&sessionID)
				c.metrics.Reconnects.Add(1)
				resetTimer(deadline, silence())
				drainOld = time.After(2 * time.Second)
				c.log().Info("eventsub websocket: reconnected", zap.String("session", sessionID))
				continue
			case f.conn == current:
				if m.Type != TypeWelcome || welcomed {
					resetTimer(deadline, silence())
				}
			}
			switch m.Type {
			case TypeWelcome:
				if f.conn != current || welcomed {
					return errors.New("unexpected session_welcome on an established session")
				}
				welcomed = true
				sessionID, keepalive = m.Session.ID, m.Session.KeepaliveTimeout
				c.metrics.SessionID.Store(&sessionID)
				c.metrics.Connects.Add(1)
				if err := c.Handler.Subscribe(ctx, sessionID); err != nil {
					return fmt.Errorf("subscribe on session %s: %w", sessionID, err)
				}
				c.log().Info("eventsub websocket: connected and subscribed", zap.String("session", sessionID),
					zap.Duration("keepalive", keepalive))
				resetTimer(deadline, silence())
			case TypeKeepalive:
			case TypeReconnect:
				if f.conn != current || redial != nil || pending != nil {
					continue
				}
				u := m.Session.ReconnectURL
				redial = make(chan dialed, 1)
				go func(ch chan<- dialed) {
					cn, err := c.dial(ctx, u)
					ch <- dialed{cn, err}
				}(redial)
			case TypeNotification:
				if !welcomed {
					return errors.New("notification before the session_welcome")
				}
				if c.dedupe.seen(m.ID) {
					c.metrics.Duplicates.Add(1)
					continue
				}
				c.metrics.Notifications.Add(1)
				if err := c.Handler.Notification(ctx, m); err != nil {
					c.log().Error("eventsub websocket: notification not handled", zap.String("messageId", m.ID),
						zap.String("type", m.SubscriptionType), zap.Error(err))
				}
			case TypeRevocation:
				c.metrics.Revocations.Add(1)
				c.Handler.Revocation(ctx, sessionID, m)
			}
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

func closeReason(err error) string {
	if code := websocket.CloseStatus(err); code != -1 {
		return fmt.Sprintf("close code %d (%s)", code, closeMeaning(int(code)))
	}
	return err.Error()
}

// closeMeaning names Twitch's close codes
// (https://dev.twitch.tv/docs/eventsub/handling-websocket-events/#close-message).
func closeMeaning(code int) string {
	switch code {
	case 4000:
		return "internal server error"
	case 4001:
		return "client sent inbound traffic"
	case 4002:
		return "client failed ping-pong"
	case 4003:
		return "connection unused: no subscription in time"
	case 4004:
		return "reconnect grace time expired"
	case 4005:
		return "network timeout"
	case 4006:
		return "network error"
	case 4007:
		return "invalid reconnect"
	case 1000:
		return "normal closure"
	default:
		return "unknown"
	}
}

// recent remembers the last message ids, to drop resent notifications.
type recent struct {
	ids  map[string]struct{}
	ring []string
	next int
}

const recentSize = 4096

func (r *recent) seen(id string) bool {
	if r.ids == nil {
		r.ids = make(map[string]struct{}, recentSize)
		r.ring = make([]string, recentSize)
	}
	if _, ok := r.ids[id]; ok {
		return true
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.ids, old)
	}
	r.ring[r.next] = id
	r.ids[id] = struct{}{}
	r.next = (r.next + 1) % recentSize
	return false
}
