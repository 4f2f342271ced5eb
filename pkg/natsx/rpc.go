package natsx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/errs"
)

// Reply headers carrying an error from a request handler (the NATS side of the one
// error vocabulary).
const (
	HeaderErrCode    = "Mgm-Error-Code"
	HeaderErrMessage = "Mgm-Error-Message"
	HeaderErrDetails = "Mgm-Error-Details"
)

// Handler answers one request: decode data, do the work, return the reply value or an error.
type Handler func(ctx context.Context, data []byte) (any, error)

func respond(ctx context.Context, m *nats.Msg, subject string, log *zap.Logger, h Handler) (code string) {
	code = "ok"
	out, err := h(ctx, m.Data)
	reply := nats.NewMsg(m.Reply)
	if err != nil && errs.CodeOf(err) == errs.Internal && db.Unreachable(err) {
		// PostgreSQL restarting or out of reach: the caller may try again (503), this
		// is no bug of ours (500).
		err = errs.Wrap(errs.Unavailable, err, "database unavailable; try again")
	}
	if err != nil {
		pub := errs.Public(err)
		code = string(pub.Code)
		if pub.Code == errs.Internal {
			log.Error("request failed", zap.String("subject", subject), zap.Error(err))
		}
		reply.Header.Set(HeaderErrCode, string(pub.Code))
		reply.Header.Set(HeaderErrMessage, pub.Message)
		if len(pub.Details) > 0 {
			if d, jerr := json.Marshal(pub.Details); jerr == nil {
				reply.Header.Set(HeaderErrDetails, string(d))
			}
		}
	} else if out != nil {
		b, jerr := json.Marshal(out)
		if jerr != nil {
			log.Error("encode reply", zap.String("subject", subject), zap.Error(jerr))
			code = string(errs.Internal)
			reply.Header.Set(HeaderErrCode, string(errs.Internal))
			reply.Header.Set(HeaderErrMessage, "internal error")
		} else {
			reply.Data = b
		}
	}
	if m.Reply != "" {
		_ = m.RespondMsg(reply)
	}
	return code
}

// Call sends req as JSON to subject and decodes the reply into resp (which may be nil).
// An error header becomes an *errs.Error; no responder or a timeout becomes
// errs.Unavailable, so the gateway answers 503.
func Call(ctx context.Context, nc *nats.Conn, subject string, req, resp any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", subject, err)
	}
	m, err := nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.Canceled) {
			return errs.Wrap(errs.Unavailable, err, "service did not answer in time")
		}
		return errs.Wrap(errs.Unavailable, err, "service unreachable")
	}
	if code := m.Header.Get(HeaderErrCode); code != "" {
		e := &errs.Error{Code: errs.Code(code), Message: m.Header.Get(HeaderErrMessage)}
		if d := m.Header.Get(HeaderErrDetails); d != "" {
			_ = json.Unmarshal([]byte(d), &e.Details)
		}
		return e
	}
	if resp != nil && len(m.Data) > 0 {
		if err := json.Unmarshal(m.Data, resp); err != nil {
			return fmt.Errorf("decode %s reply: %w", subject, err)
		}
	}
	return nil
}

// Decode unmarshals a request body, answering invalid_payload when it does not fit.
func Decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return errs.Wrap(errs.Invalid, err, "malformed request")
	}
	return nil
}
