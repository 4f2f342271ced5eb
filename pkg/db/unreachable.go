package db

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err means PostgreSQL could not be used just now — not
// reachable, restarting, shutting down, out of connections, or the connection broke
// mid-query — rather than a fault of the request or of our code. It is what a restart
// in immediate mode looks like to a service (make chaos restarts PostgreSQL so): the
// request may succeed a moment later, so it is answered 503 unavailable, not 500
// internal.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	// Any failure to open a connection: refused, reset, the server starting up or
	// shutting down, the database not taking connections.
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-57P05: admin/crash shutdown, cannot
		// connect now, idle session timeout; 53300: too many connections
		// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
