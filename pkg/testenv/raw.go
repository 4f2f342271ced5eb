package testenv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// OptionsAsterisk sends "OPTIONS * HTTP/1.1" with the given Host header to addr over a raw
// connection — net/http's client cannot send the asterisk form — and returns the answer's
// status and its error body's code. net/http answers this request itself with an empty
// 200 unless the server sets DisableGeneralOptionsHandler, so the servers' tests (the
// gateway, ingest, the Desktop window) check that it reaches their handlers.
func OptionsAsterisk(t testing.TB, addr, host string) (status int, code string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(conn, "OPTIONS * HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n", host); err != nil {
		t.Fatalf("write to %s: %v", addr, err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read from %s: %v", addr, err)
	}
	defer res.Body.Close()
	var body struct{ Code string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Errorf("OPTIONS * to %s (Host %s): status %d, body is not the error shape: %v", addr, host, res.StatusCode, err)
	}
	return res.StatusCode, body.Code
}
