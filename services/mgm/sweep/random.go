package sweep

// The random part of the sweep: requests drawn from a seed, mixing everything the
// catalog tries one axis at a time.

import (
	"encoding/json"
	"iter"
	"math/rand/v2"
	"strings"
)

// Random is the random part: n requests that mix a route (or a made-up path), a method,
// a path mutation, a credential variant, header noise and a body, all drawn from seed.
func (s Spec) Random(seed uint64, n int) iter.Seq[Request] {
	return func(yield func(Request) bool) {
		r := rand.New(rand.NewPCG(seed, 0xfa22))
		variantsOf := map[string][]Variant{}
		for _, rt := range s.Routes {
			if _, ok := variantsOf[rt.Auth]; !ok {
				variantsOf[rt.Auth] = s.variants(rt.Auth)
			}
		}
		for range n {
			if !yield(s.random(r, variantsOf)) {
				return
			}
		}
	}
}

func (s Spec) random(r *rand.Rand, variantsOf map[string][]Variant) Request {
	rt := s.Routes[r.IntN(len(s.Routes))]
	q := Request{Label: "random", Method: rt.Method, ContentLength: -1}
	id := uuid4(r)
	if r.IntN(4) == 0 {
		id = pathIDs[r.IntN(len(pathIDs))]
	}
	q.Target = fill(rt.Path, r, id)
	if r.IntN(3) == 0 {
		pm := pathMutations[r.IntN(len(pathMutations))]
		if !strings.Contains(pm.label, "huge") {
			q.Target, q.Malformed = pm.fn(q.Target), pm.malformed
		}
	}
	ownPath := true
	if r.IntN(10) == 0 {
		q.Target, ownPath = "/"+randomPath(r), false
	}
	if r.IntN(4) == 0 {
		q.Method = methods[r.IntN(len(methods))]
	}
	vs := variantsOf[rt.Auth]
	v := vs[0]
	if r.IntN(2) == 0 {
		v = vs[r.IntN(len(vs))]
	}
	// A CORS preflight (OPTIONS) never carries credentials: its 204 is no acceptance.
	q.Header, q.Refuse = cloneHeader(v.Header), !v.Valid && ownPath && !strings.EqualFold(q.Method, "OPTIONS")
	var valid []byte
	if rt.Body != nil {
		valid, _ = json.Marshal(rt.Body(r))
	}
	switch {
	case rt.Body != nil && r.IntN(2) == 0:
		q.Body = valid
	case rt.Body != nil:
		bvs := bodyVariants(valid, r)
		bv := bvs[r.IntN(len(bvs))]
		if !strings.Contains(bv.label, "2MiB") && !strings.Contains(bv.label, "100k") {
			q.Body = bv.body
		}
	case r.IntN(8) == 0:
		q.Body = randomBytes(r, r.IntN(300))
	}
	if q.Body != nil {
		ct := "application/json"
		if r.IntN(5) == 0 {
			ct = contentTypes[r.IntN(len(contentTypes))]
		}
		if ct != "" {
			q.Header = append(q.Header, [2]string{"Content-Type", ct})
		}
	}
	if r.IntN(6) == 0 {
		q.Header = append(q.Header, [2]string{randomToken(r, 1+r.IntN(20)), randomValue(r, r.IntN(200))})
	}
	if r.IntN(20) == 0 && len(q.Body) > 2 {
		q.ContentLength, q.Truncate = len(q.Body)+1+r.IntN(50), true
	}
	if r.IntN(25) == 0 {
		q.Chunked = true
	}
	return q
}

func randomPath(r *rand.Rand) string {
	segs := []string{"api", "pool", "payouts", "roulette", "gift-requests", "streamers", "twitch", "eventsub", "..", ".", "%2e", "me", "state",
		"x", "healthz", "readyz", "metrics", "version", "ui", "static", "index.html", "app.js"}
	n := 1 + r.IntN(5)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = segs[r.IntN(len(segs))]
	}
	return strings.Join(parts, "/")
}

const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~"

func randomToken(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[r.IntN(len(tokenChars))]
	}
	return string(b)
}

func randomValue(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x20 + r.IntN(0x5f)) // visible ASCII and space: a valid header value
	}
	return strings.TrimSpace(string(b))
}
