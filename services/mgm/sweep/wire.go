package sweep

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request is one request as written on the wire, so that it can be anything a client
// can send: a method or target net/http would refuse to build, duplicate or huge
// headers, a Content-Length that lies, a body cut short.
type Request struct {
	Label  string // the kind of abuse, for the report ("jwt/alg-none", "path/dot-segments" …)
	Method string
	Target string // the request-target as written
	Header [][2]string
	Body   []byte
	// ContentLength is written as given when >= 0; -1 writes the body's real length
	// (when there is a body), -2 writes none.
	ContentLength int
	Chunked       bool // send the body with Transfer-Encoding: chunked
	// Truncate closes the sending side after the body: with a Content-Length larger
	// than the body, the server meets the end of the stream mid-body.
	Truncate bool
	// Raw, when set, is written verbatim instead of everything above (garbage that is
	// not an HTTP request at all).
	Raw []byte
	// Refuse marks a request that must not be accepted (its credentials are wrong): a
	// 2xx answer is a finding.
	Refuse bool
	// Malformed marks a request that is not valid HTTP/1.1 or breaks a protocol limit
	// (header size): net/http's own answer ("400 Bad Request" as text, 431, …) or a
	// closed connection is expected, not the product's error body.
	Malformed bool
}

// Mutating reports whether the request could change state if it were accepted.
func (r Request) Mutating() bool {
	switch strings.ToUpper(r.Method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// String is a short description for findings (the target cut to 120 bytes).
func (r Request) String() string {
	t := r.Target
	if len(t) > 120 {
		t = t[:120] + fmt.Sprintf("…(%d bytes)", len(r.Target))
	}
	if r.Raw != nil {
		return fmt.Sprintf("[%s] raw %q", r.Label, cut(string(r.Raw), 80))
	}
	return fmt.Sprintf("[%s] %q %q body %d bytes", r.Label, cut(r.Method, 40), t, len(r.Body))
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// bytes is the request on the wire for host.
func (r Request) bytes(host string) []byte {
	if r.Raw != nil {
		return r.Raw
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.Method, r.Target)
	hasHost := false
	for _, h := range r.Header {
		if strings.EqualFold(h[0], "Host") {
			hasHost = true
		}
	}
	if !hasHost {
		fmt.Fprintf(&b, "Host: %s\r\n", host)
	}
	for _, h := range r.Header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	switch {
	case r.Chunked:
		b.WriteString("Transfer-Encoding: chunked\r\n")
	case r.ContentLength >= 0:
		fmt.Fprintf(&b, "Content-Length: %d\r\n", r.ContentLength)
	case r.ContentLength == -1 && (len(r.Body) > 0 || r.Mutating()):
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	if r.Chunked {
		if len(r.Body) > 0 {
			fmt.Fprintf(&b, "%x\r\n", len(r.Body))
			b.Write(r.Body)
			b.WriteString("\r\n")
		}
		b.WriteString("0\r\n\r\n")
	} else {
		b.Write(r.Body)
	}
	return b.Bytes()
}

// Answer is what came back: a response, or Err when the connection ended without one.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	Err    error
}

// maxAnswer bounds how much of a response body is kept.
const maxAnswer = 1 << 20

// send writes req to addr on a fresh connection and reads the answer. Writing and
// reading run together, so a server that answers before it has read a huge body (and
// then closes) is still heard.
func send(addr, host string, req Request, timeout time.Duration) Answer {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return Answer{Err: fmt.Errorf("dial: %w", err)}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	wire := req.bytes(host)
	go func() {
		_, _ = conn.Write(wire)
		if req.Truncate {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
		}
	}()
	method := req.Method
	if req.Raw != nil {
		method = http.MethodGet
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	// Interim answers (100 Continue to Expect: 100-continue) come before the real one.
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(br, &http.Request{Method: method})
	}
	if err != nil {
		return Answer{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Answer{Status: resp.StatusCode, Header: resp.Header, Body: body, Err: fmt.Errorf("read body: %w", err)}
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// Trickle is a slow client: it writes head, then the bytes of tail one at a time every
// gap, and reports how long the server let it go on before it answered or closed the
// connection (and what it answered, if anything). It gives up after limit.
type Trickle struct {
	Label string
	Head  string
	Tail  string
	Gap   time.Duration
}

// TrickleResult is how a slow client was treated.
type TrickleResult struct {
	Label    string
	Cut      bool          // the server answered or closed before limit
	After    time.Duration // when it did
	Status   int           // its answer's status, 0 for none
	Answered string        // the first line of its answer
}

func trickle(addr string, t Trickle, limit time.Duration) TrickleResult {
	res := TrickleResult{Label: t.Label}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		res.Answered = "dial: " + err.Error()
		return res
	}
	defer conn.Close()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = conn.SetReadDeadline(start.Add(limit))
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		if err != nil && line == "" {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return // still open at the limit
			}
			res.Cut, res.After = true, time.Since(start)
			return
		}
		res.Cut, res.After = true, time.Since(start)
		res.Answered = strings.TrimSpace(line)
		if f := strings.Fields(line); len(f) >= 2 {
			res.Status, _ = strconv.Atoi(f[1])
		}
	}()
	if t.Head != "" {
		_, _ = conn.Write([]byte(t.Head))
	}
	for i := 0; i < len(t.Tail); i++ {
		select {
		case <-done:
			return res
		case <-time.After(t.Gap):
		}
		if _, err := conn.Write([]byte{t.Tail[i]}); err != nil {
			break
		}
	}
	<-done
	return res
}
