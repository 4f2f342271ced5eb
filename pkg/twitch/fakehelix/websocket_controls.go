package fakehelix

// What a test may do to the EventSub WebSocket server (websocket.go): list sessions,
// send session_reconnect or raw frames, close connections, withhold the welcome or the
// keepalives, resend notifications around a reconnect.

import (
	"time"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// WSSession describes one EventSub WebSocket session.
type WSSession struct {
	ID            string
	Subscriptions int // enabled subscriptions
}

// WSSessions lists the connected sessions.
func (s *Server) WSSessions() []WSSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []WSSession
	for _, sess := range s.ws.sessions {
		if sess.conn == nil {
			continue
		}
		n := 0
		for _, o := range s.subs {
			if o.Transport.SessionID == sess.id && o.Status == StatusEnabled {
				n++
			}
		}
		out = append(out, WSSession{ID: sess.id, Subscriptions: n})
	}
	return out
}

// WSConnects counts WebSocket connections accepted so far.
func (s *Server) WSConnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws.connects
}

// ReconnectSessions sends session_reconnect to every session, as Twitch does before
// moving a connection to another edge server; it returns how many were asked. A session
// that does not reconnect within 30 seconds is closed with 4004.
func (s *Server) ReconnectSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sess := range s.ws.sessions {
		if sess.conn == nil || !sess.welcomed {
			continue
		}
		sess.reconnectID = randomID()
		url := s.WebSocketURL() + "?reconnect_id=" + sess.reconnectID
		sess.conn.enqueueLocked(s, frame("session_reconnect", nil, map[string]any{"session": map[string]any{
			"id": sess.id, "status": "reconnecting", "keepalive_timeout_seconds": nil,
			"reconnect_url": url, "connected_at": eventsub.FormatTimestamp(sess.connectedAt),
		}}))
		conn, rid := sess.conn, sess.reconnectID
		go func() {
			time.Sleep(wsReconnectGrace)
			s.mu.Lock()
			late := sess.reconnectID == rid && sess.conn == conn
			s.mu.Unlock()
			if late {
				conn.enqueue(wsItem{close: CloseReconnectGrace, why: "client reconnect grace time expired"})
			}
		}()
		n++
	}
	return n
}

// SendRawFrame writes text as a message to every connected session (garbage, unknown
// message types, …); it returns how many got it.
func (s *Server) SendRawFrame(text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sess := range s.ws.sessions {
		if sess.conn != nil && sess.conn.enqueueLocked(s, []byte(text)) {
			n++
		}
	}
	return n
}

// CloseSessions closes every connection with code (e.g. CloseNetworkError).
func (s *Server) CloseSessions(code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.ws.conns {
		c.enqueue(wsItem{close: code, why: reason})
	}
}

// WithholdWelcome makes new connections wait without a session_welcome (a server that
// never greets).
func (s *Server) WithholdWelcome(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.withholdWelcome = on
}

// PauseKeepalives stops session_keepalive messages (a silent, half-dead connection).
func (s *Server) PauseKeepalives(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.pauseKeepalive = on
}

// AllowShortKeepalive lets keepalive_timeout_seconds go down to 1 (Twitch's minimum is
// 10), so tests of keepalive timeouts do not wait ten seconds.
func (s *Server) AllowShortKeepalive(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.allowShort = on
}

// SetResendOnReconnect sets how many of the last notifications are sent again on the
// new connection after a reconnect (default 2; 0 turns it off).
func (s *Server) SetResendOnReconnect(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.resend = n
}

// SetSubscribeWindow shortens the time a new connection has to subscribe before it is
// closed with 4003 (Twitch's is 10 seconds), so tests need not wait that long.
func (s *Server) SetSubscribeWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.subscribeWindow = d
}
