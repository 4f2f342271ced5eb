package natsx

import "context"

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

// HandleNone is the Handler of a query that takes no request body.
func HandleNone[Resp any](fn func(context.Context) (Resp, error)) Handler {
	return func(ctx context.Context, _ []byte) (any, error) { return fn(ctx) }
}
