package natsx

import (
	"context"
	"time"
)

// Handle is the Handler of a use case that takes one request value: the body is
// decoded into Req (invalid_payload when it does not fit) and fn's result is the reply.
func Handle[Req, Resp any](fn func(context.Context, Req) (Resp, error)) Handler {
	return func(ctx context.Context, data []byte) (any, error) {
		var req Req
		if err := Decode(data, &req); err != nil {
			return nil, err
		}
		return fn(ctx, req)
	}
}

// HandleOptional is Handle for requests whose every field is optional: an empty body
// (what a probe sends) is the zero Req.
func HandleOptional[Req, Resp any](fn func(context.Context, Req) (Resp, error)) Handler {
	return func(ctx context.Context, data []byte) (any, error) {
		var req Req
		if len(data) > 0 {
			if err := Decode(data, &req); err != nil {
				return nil, err
			}
		}
		return fn(ctx, req)
	}
}

// WithTimeout bounds a handler's work to d: the caller gives up after its RPC timeout
// anyway.
func WithTimeout(d time.Duration, h Handler) Handler {
	return func(ctx context.Context, data []byte) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return h(ctx, data)
	}
}
