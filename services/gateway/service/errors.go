package service

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
)

// handleError is the one place an error becomes a response: errs.HTTPStatus(code) and
// the body {"code","message","details"}. Internal causes are logged here, once.
func (g *Gateway) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := publicError(err)
	req := c.Request()
	switch body.Code {
	case errs.Internal:
		g.log.Error("request failed", zap.String("method", req.Method), zap.String("path", req.URL.Path), zap.Error(err))
	case errs.Unavailable:
		g.log.Warn("downstream unavailable", zap.String("method", req.Method), zap.String("path", req.URL.Path), zap.Error(err))
	}
	if req.Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

// publicError maps err (an *errs.Error, echo's own router and middleware errors, or
// anything else) to a status and the body a client may see.
func publicError(err error) (int, *errs.Error) {
	var e *errs.Error
	var he *echo.HTTPError
	if !errors.As(err, &e) && errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		switch he.Code {
		case http.StatusNotFound:
			err = errs.E(errs.NotFound, "no such route")
		case http.StatusMethodNotAllowed:
			err = errs.Wrap(errs.MethodNotAllowed, he, "method not allowed on this route")
		case http.StatusRequestEntityTooLarge:
			err = errs.Wrap(errs.Invalid, he, "request body too large")
		case http.StatusBadRequest, http.StatusUnsupportedMediaType:
			err = errs.Wrap(errs.Invalid, he, "%s", msg)
		case http.StatusUnauthorized:
			err = errs.Wrap(errs.Unauthorized, he, "%s", msg)
		case http.StatusForbidden:
			err = errs.Wrap(errs.Forbidden, he, "%s", msg)
		case http.StatusTooManyRequests:
			err = errs.Wrap(errs.RateLimited, he, "%s", msg)
		case http.StatusServiceUnavailable:
			err = errs.Wrap(errs.Unavailable, he, "%s", msg)
		}
	}
	pub := errs.Public(err)
	return errs.HTTPStatus(pub.Code), pub
}

// writeError answers outside echo's chain (the EventSub proxy) with the same body.
func (g *Gateway) writeError(w http.ResponseWriter, r *http.Request, err error) {
	c := g.echo.NewContext(r, w)
	g.handleError(err, c)
}

// recoverPanics turns a panicking handler into a 500 internal body; the stack is
// logged by the error handler with the error.
func (g *Gateway) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = errs.Wrap(errs.Internal, fmt.Errorf("panic: %v\n%s", r, debug.Stack()), "internal error")
			}
		}()
		return next(c)
	}
}

// noAsteriskTarget answers "OPTIONS *" (the server-wide request target, RFC 9110
// §9.3.7) with the standard not_found body. The server hands it to the routes
// (svc.Serve sets DisableGeneralOptionsHandler); without this the CORS middleware took
// it for a preflight without Origin and answered an empty 204.
func noAsteriskTarget(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().RequestURI == "*" {
			return errs.E(errs.NotFound, "no resource at the request target *")
		}
		return next(c)
	}
}
