package fakehelix

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// The EventSub WebSocket server
// (https://dev.twitch.tv/docs/eventsub/handling-websocket-events/, message shapes in
// https://dev.twitch.tv/docs/eventsub/websocket-reference/ and in Twitch's own mock
// server, twitchdev/twitch-cli internal/events/websocket/mock_server/message_types.go):
//
//   - the first message is session_welcome with the session id, status "connected",
//     keepalive_timeout_seconds and connected_at;
//   - keepalive_timeout_seconds comes from the query (10 to 600; "Specifying an
//     invalid, but numeric value will return the nearest acceptable value"), default 10;
//   - the client has 10 seconds after the welcome to subscribe, or the connection is
//     closed with 4003 "connection unused" ("When you connect to the server, you must
//     create a subscription within 10 seconds or the connection is closed",
//     https://dev.twitch.tv/docs/eventsub/handling-websocket-events/#close-message;
//     twitch-cli mock_server/server.go:154, mustSubscribeTimer, 10 s whatever the
//     keepalive). The reference's keepalive_timeout_seconds text ("for a welcome
//     message, this is the number of seconds that you have to subscribe") reads as a
//     longer window for a longer keepalive; the fake takes the shorter of the two;
//   - a session_keepalive follows every keepalive_timeout_seconds of silence;
//   - a client that sends a data message is closed with 4001 (twitch-cli
//     mock_server/server.go: inbound traffic); pings go out every 5 seconds and a client
//     that does not answer is closed with 4002;
//   - session_reconnect carries a reconnect_url; the client connects there, gets a
//     welcome on the new connection and its subscriptions carry over; notifications
//     keep going to the old connection until then, and a client that does not
//     reconnect within 30 seconds is closed with 4004 (twitch-cli mock_server/server.go
//     InitiateRestart); an unknown reconnect id is 4007 "invalid reconnect attempt";
//   - Twitch sends messages at least once: a resent notification keeps its message_id
//     (https://dev.twitch.tv/docs/eventsub/websocket-reference/, metadata.message_id).
//     Around a reconnect the fake resends the last few notifications on the new
//     connection, so a client that does not deduplicate is caught;
//   - when a connection closes, its subscriptions become websocket_disconnected and
//     no longer receive anything.
//
// Whether the session id survives a reconnect is unknown (twitch-cli gives a new one);
// the fake keeps it, and a client must not depend on either.

const (
	wsDefaultKeepalive = 10 * time.Second
	wsSubscribeWindow  = 10 * time.Second
	wsReconnectGrace   = 30 * time.Second
	wsPingEvery        = 5 * time.Second
	wsPingTimeout      = 20 * time.Second
)

// Close codes (twitch-cli mock_server/close_messages.go;
// https://dev.twitch.tv/docs/eventsub/handling-websocket-events/#close-message).
const (
	CloseInternalError      = 4000
	CloseInboundTraffic     = 4001
	ClosePingPong           = 4002
	CloseUnused             = 4003
	CloseReconnectGrace     = 4004
	CloseNetworkTimeout     = 4005
	CloseNetworkError       = 4006
	CloseInvalidReconnect   = 4007
	wsOutboxSize            = 8192
	wsDefaultResendOnSwitch = 2
)

type wsHub struct {
	s *Server
	// Guarded by s.mu.
	sessions        map[string]*wsSession
	conns           map[*wsConn]bool
	connects        int
	withholdWelcome bool
	pauseKeepalive  bool
	allowShort      bool
	resend          int
	subscribeWindow time.Duration
}

type wsSession struct {
	id          string
	conn        *wsConn
	old         *wsConn // the connection being replaced during a reconnect
	keepalive   time.Duration
	connectedAt time.Time
	welcomed    bool
	subscribed  bool
	reconnectID string
	recent      [][]byte // last notifications sent, for resending after a reconnect
}

type wsConn struct {
	c        *websocket.Conn
	out      chan wsItem
	done     chan struct{}
	lastSent time.Time // guarded by s.mu
}

type wsItem struct {
	frame []byte
	close int // when non-zero: close with this code after the frames before it
	why   string
}

func newWSHub(s *Server) *wsHub {
	return &wsHub{s: s, sessions: map[string]*wsSession{}, conns: map[*wsConn]bool{}, resend: wsDefaultResendOnSwitch,
		subscribeWindow: wsSubscribeWindow}
}

func (h *wsHub) serve(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	conn := &wsConn{c: c, out: make(chan wsItem, wsOutboxSize), done: make(chan struct{})}
	s := h.s
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go conn.write(ctx)

	s.mu.Lock()
	h.conns[conn] = true
	h.connects++
	var sess *wsSession
	if rid := r.URL.Query().Get("reconnect_id"); rid != "" {
		for _, o := range h.sessions {
			if o.reconnectID == rid && o.reconnectID != "" {
				sess = o
			}
		}
		if sess == nil {
			s.mu.Unlock()
			conn.enqueue(wsItem{close: CloseInvalidReconnect, why: "invalid reconnect attempt"})
			h.readUntilClosed(ctx, conn, nil)
			return
		}
		sess.reconnectID = ""
		sess.old, sess.conn = sess.conn, conn
	} else {
		sess = &wsSession{id: "AQoQ" + randomID()[:24], conn: conn, keepalive: h.keepaliveLocked(r.URL.Query().Get("keepalive_timeout_seconds")),
			connectedAt: s.now().UTC()}
		h.sessions[sess.id] = sess
	}
	reconnected := sess.old != nil
	if !h.withholdWelcome {
		h.welcomeLocked(sess, conn)
	}
	if reconnected {
		// The old connection gets nothing new; what it has queued still goes out, then
		// it is closed (who closes it is unknown; the fake does, a second later).
		old := sess.old
		for _, f := range sess.recent {
			conn.enqueueLocked(s, f)
		}
		go func() {
			time.Sleep(time.Second)
			old.enqueue(wsItem{close: int(websocket.StatusNormalClosure), why: "reconnected"})
		}()
	}
	window := min(sess.keepalive, h.subscribeWindow)
	s.mu.Unlock()

	if !reconnected {
		// 4003 when nothing was subscribed within the window (see the top of the file).
		go func() {
			select {
			case <-time.After(window):
			case <-conn.done:
				return
			}
			s.mu.Lock()
			unused := !sess.subscribed && sess.conn == conn
			s.mu.Unlock()
			if unused {
				conn.enqueue(wsItem{close: CloseUnused, why: "connection unused"})
			}
		}()
	}
	go h.keepaliveLoop(conn, sess)
	go h.pingLoop(ctx, conn)
	h.readUntilClosed(ctx, conn, sess)
}

// keepaliveLocked reads keepalive_timeout_seconds: 10 to 600, the nearest acceptable
// value for other numbers, the default otherwise (unknown for non-numbers).
func (h *wsHub) keepaliveLocked(q string) time.Duration {
	n, err := strconv.Atoi(q)
	if q == "" || err != nil {
		return wsDefaultKeepalive
	}
	lo := 10
	if h.allowShort {
		lo = 1
	}
	return time.Duration(max(lo, min(600, n))) * time.Second
}

func (h *wsHub) welcomeLocked(sess *wsSession, conn *wsConn) {
	sess.welcomed = true
	conn.enqueueLocked(h.s, frame("session_welcome", nil, map[string]any{"session": map[string]any{
		"id": sess.id, "status": "connected", "keepalive_timeout_seconds": int(sess.keepalive / time.Second),
		"reconnect_url": nil, "connected_at": eventsub.FormatTimestamp(sess.connectedAt),
	}}))
}

func (h *wsHub) keepaliveLoop(conn *wsConn, sess *wsSession) {
	s := h.s
	for {
		s.mu.Lock()
		wait := sess.keepalive - time.Since(conn.lastSent)
		s.mu.Unlock()
		if wait < 50*time.Millisecond {
			wait = 50 * time.Millisecond
		}
		select {
		case <-conn.done:
			return
		case <-time.After(wait):
		}
		s.mu.Lock()
		// No keepalive on a connection asked to reconnect: twitch-cli stops them with the
		// session_reconnect (mock_server/server.go InitiateRestart, "Disable keepalive
		// and subscription timers"), so a client that stays is soon silent.
		if sess.conn == conn && sess.welcomed && sess.reconnectID == "" && !h.pauseKeepalive && time.Since(conn.lastSent) >= sess.keepalive {
			conn.enqueueLocked(s, frame("session_keepalive", nil, map[string]any{}))
		}
		s.mu.Unlock()
	}
}

func (h *wsHub) pingLoop(ctx context.Context, conn *wsConn) {
	for {
		select {
		case <-conn.done:
			return
		case <-time.After(wsPingEvery):
		}
		pctx, cancel := context.WithTimeout(ctx, wsPingTimeout)
		err := conn.c.Ping(pctx)
		cancel()
		if err != nil {
			select {
			case <-conn.done:
			default:
				conn.enqueue(wsItem{close: ClosePingPong, why: "failed ping pong"})
			}
			return
		}
	}
}

// readUntilClosed reads the client; a data message is inbound traffic (4001).
func (h *wsHub) readUntilClosed(ctx context.Context, conn *wsConn, sess *wsSession) {
	for {
		_, _, err := conn.c.Read(ctx)
		if err != nil {
			break
		}
		conn.enqueue(wsItem{close: CloseInboundTraffic, why: "sent inbound traffic"})
	}
	conn.shut()
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(h.conns, conn)
	if sess == nil {
		return
	}
	if sess.old == conn {
		sess.old = nil
		return
	}
	if sess.conn != conn {
		return
	}
	delete(h.sessions, sess.id)
	status := StatusWebSocketDisconnected
	if sess.reconnectID != "" {
		status = StatusWebSocketFailedToReconnect
	}
	for _, o := range s.subs {
		if o.Transport.Method == "websocket" && o.Transport.SessionID == sess.id && o.Status == StatusEnabled {
			o.Status = status
			o.Transport.DisconnectedAt = eventsub.FormatTimestamp(s.now())
		}
	}
}

func (h *wsHub) sessionLocked(id string) *wsSession {
	sess := h.sessions[id]
	if sess == nil || sess.conn == nil {
		return nil
	}
	return sess
}

func (h *wsHub) notifyLocked(sub Subscription, event json.RawMessage) bool {
	sess := h.sessions[sub.Transport.SessionID]
	if sess == nil || sess.conn == nil {
		return false
	}
	f := frame("notification", &sub, map[string]any{"subscription": sub, "event": event})
	sess.recent = append(sess.recent, f)
	if len(sess.recent) > h.resend {
		sess.recent = sess.recent[len(sess.recent)-h.resend:]
	}
	return sess.conn.enqueueLocked(h.s, f)
}

func (h *wsHub) revokeLocked(sub Subscription) {
	sess := h.sessions[sub.Transport.SessionID]
	if sess == nil || sess.conn == nil {
		return
	}
	sess.conn.enqueueLocked(h.s, frame("revocation", &sub, map[string]any{"subscription": sub}))
}

func (h *wsHub) closeAll() {
	h.s.mu.Lock()
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.s.mu.Unlock()
	for _, c := range conns {
		c.shut()
		_ = c.c.CloseNow()
	}
}

// frame builds one message: metadata (message_id, message_type, message_timestamp and,
// for notifications and revocations, subscription_type and subscription_version) and
// payload.
func frame(messageType string, sub *Subscription, payload any) []byte {
	md := map[string]any{"message_id": randomUUID(), "message_type": messageType,
		"message_timestamp": eventsub.FormatTimestamp(time.Now())}
	if sub != nil {
		md["subscription_type"], md["subscription_version"] = sub.Type, sub.Version
	}
	b, _ := json.Marshal(map[string]any{"metadata": md, "payload": payload})
	return b
}

func (c *wsConn) enqueueLocked(s *Server, f []byte) bool {
	c.lastSent = time.Now()
	return c.enqueue(wsItem{frame: f})
}

func (c *wsConn) enqueue(it wsItem) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.out <- it:
		return true
	default:
		// A client that cannot keep up: Twitch would drop it too (unknown how).
		go func() { _ = c.c.Close(CloseNetworkError, "network error") }()
		return false
	}
}

func (c *wsConn) shut() {
	select {
	case <-c.done:
	default:
		close(c.done)
	}
}

func (c *wsConn) write(ctx context.Context) {
	for {
		select {
		case <-c.done:
			return
		case it := <-c.out:
			if it.close != 0 {
				_ = c.c.Close(websocket.StatusCode(it.close), it.why)
				c.shut()
				return
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := c.c.Write(wctx, websocket.MessageText, it.frame)
			cancel()
			if err != nil {
				c.shut()
				return
			}
		}
	}
}
