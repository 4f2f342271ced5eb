package sweep

// The systematic part of the sweep: for every route, methods, path mutations,
// credential variants, headers and bodies, and garbage that is not HTTP at all.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/url"
	"strings"
)

// fill puts values into a route's path.
func fill(path string, r *rand.Rand, id string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], '}')
		b.WriteString(path[:i])
		b.WriteString(url.PathEscape(id))
		path = path[i+j+1:]
	}
}

func uuid4(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff,
		0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

// pathIDs are values for a {param}.
var pathIDs = []string{"", "x", "not-a-uuid", "6F1C9A4E-1B7E-4D3F-9A55-1B2C3D4E5F60", "{6f1c9a4e-1b7e-4d3f-9a55-1b2c3d4e5f60}",
	"6f1c9a4e1b7e4d3f9a551b2c3d4e5f60", "../../etc/passwd", "%2e%2e", "100000001", "-1", "0", strings.Repeat("9", 400),
	"Норинн", "\x00", "a b", "' OR 1=1 --"}

// pathMutations rewrite a concrete path.
var pathMutations = []struct {
	label     string
	fn        func(p string) string
	malformed bool
}{
	{"path/trailing-slash", func(p string) string { return p + "/" }, false},
	{"path/double-slash", func(p string) string { return "/" + p }, false},
	{"path/inner-double-slash", func(p string) string { return strings.Replace(p, "/", "//", 2) }, false},
	{"path/dot-segment", func(p string) string { return strings.Replace(p, "/api/", "/api/./", 1) }, false},
	{"path/dot-dot-segment", func(p string) string { return strings.Replace(p, "/api/", "/api/x/../", 1) }, false},
	{"path/escape-above-root", func(p string) string { return "/../../" + strings.TrimPrefix(p, "/") }, false},
	{"path/encoded-dots", func(p string) string { return strings.Replace(p, "/api/", "/api/%2e%2e/api/", 1) }, false},
	{"path/encoded-slash", func(p string) string { return strings.Replace(p, "/api/", "/api%2F", 1) }, false},
	{"path/encoded-letters", func(p string) string { return strings.Replace(p, "/api/", "/%61%70%69/", 1) }, false},
	{"path/upper-case", strings.ToUpper, false},
	{"path/encoded-nul", func(p string) string { return p + "%00" }, false},
	{"path/encoded-nul-inside", func(p string) string { return strings.Replace(p, "/api/", "/api%00/", 1) }, false},
	{"path/raw-nul", func(p string) string { return p + "\x00" }, true},
	{"path/raw-space", func(p string) string { return p + " x" }, true},
	{"path/raw-utf8", func(p string) string { return p + "мe" }, false},
	{"path/invalid-utf8-escape", func(p string) string { return p + "%ff%fe" }, false},
	{"path/bad-escape", func(p string) string { return p + "%zz" }, true}, // net/http refuses it before any handler
	{"path/long-8KiB", func(p string) string { return p + "/" + strings.Repeat("a", 8<<10) }, false},
	{"path/long-query-16KiB", func(p string) string { return p + "?q=" + strings.Repeat("b", 16<<10) }, false},
	{"path/query-junk", func(p string) string { return p + "?%zz=&&==&a[]=1&a[x]=2" }, false},
	{"path/fragment", func(p string) string { return p + "#frag" }, false},
	{"path/absolute-form", func(p string) string { return "http://evil.example" + p }, false},
	{"path/asterisk", func(string) string { return "*" }, false},
	{"path/empty", func(string) string { return "" }, true},
	{"path/no-leading-slash", func(p string) string { return strings.TrimPrefix(p, "/") }, true},
	{"path/huge-2MiB", func(p string) string { return p + "?" + strings.Repeat("c", 2<<20) }, true},
}

// methods besides a route's own.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "Post", "X-CUSTOM"}

// bodyVariants are bodies for routes that take one (valid is the route's good body).
func bodyVariants(valid []byte, r *rand.Rand) []struct {
	label string
	body  []byte
} {
	deep := func(n int) []byte { return append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...) }
	obj := map[string]any{}
	_ = json.Unmarshal(valid, &obj)
	out := []struct {
		label string
		body  []byte
	}{
		{"body/valid", valid},
		{"body/empty", nil},
		{"body/null", []byte("null")},
		{"body/array", []byte("[]")},
		{"body/string", []byte(`"x"`)},
		{"body/number", []byte(`1`)},
		{"body/empty-object", []byte(`{}`)},
		{"body/truncated", valid[:len(valid)/2]},
		{"body/truncated-key", []byte(`{"characterName":`)},
		{"body/trailing-garbage", append(append([]byte{}, valid...), []byte(` {"x":1}`)...)},
		{"body/two-objects", append(append([]byte{}, valid...), valid...)},
		{"body/bom", append([]byte("\xef\xbb\xbf"), valid...)},
		{"body/deep-1k", deep(1000)},
		{"body/deep-100k", deep(100_000)},
		{"body/deep-object", []byte(strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000))},
		{"body/huge-number", []byte(`{"n":1e99999,"itemId":1e400,"count":123456789012345678901234567890,"status":1e308}`)},
		{"body/invalid-utf8", []byte("{\"characterName\":\"\xff\xfe\xfd\",\"status\":\"\xc0\xaf\"}")},
		{"body/lone-surrogate", []byte(`{"characterName":"\ud800abc","status":"\udfff"}`)},
		{"body/nul-in-string", []byte(`{"characterName":"Nor\u0000inn","status":"Sent\u0000"}`)},
		{"body/control-chars", []byte("{\"characterName\":\"a\x01b\"}")},
		{"body/duplicate-keys", append([]byte(`{"characterName":"Thrall","status":"Sent",`), bytes.TrimPrefix(valid, []byte("{"))...)},
		{"body/over-64KiB", append([]byte(`{"pad":"`), append(bytes.Repeat([]byte("x"), 65<<10), []byte(`"}`)...)...)},
		{"body/2MiB", append([]byte(`{"pad":"`), append(bytes.Repeat([]byte("y"), 2<<20), []byte(`"}`)...)...)},
		{"body/binary", randomBytes(r, 512)},
	}
	for k := range obj {
		for _, wrong := range []any{nil, 12345, 1.5, true, []any{"x"}, map[string]any{"a": 1}, strings.Repeat("z", 10<<10), "", " ", -1, 1e20} {
			m := map[string]any{}
			for k2, v := range obj {
				m[k2] = v
			}
			m[k] = wrong
			b, _ := json.Marshal(m)
			out = append(out, struct {
				label string
				body  []byte
			}{fmt.Sprintf("body/%s-as-%T", k, wrong), b})
		}
		m := map[string]any{}
		for k2, v := range obj {
			if k2 != k {
				m[k2] = v
			}
		}
		b, _ := json.Marshal(m)
		out = append(out, struct {
			label string
			body  []byte
		}{"body/missing-" + k, b})
	}
	return out
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// contentTypes for bodies.
var contentTypes = []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
	"application/json; charset=latin1", "application/xml", "application/json, text/plain", "*/*", "application/JSON"}

// Catalog is the systematic part of the sweep: for every route, every method, every
// way of writing its path, every way of presenting (or faking) credentials, every kind
// of broken body and content type, and requests that break the protocol itself.
// Full is the long form; the short form takes each axis for a few routes only.
func (s Spec) Catalog(seed uint64, full bool) iter.Seq[Request] {
	return func(yield func(Request) bool) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		for ri, rt := range s.Routes {
			// one route's requests at a time: the long form's big bodies never all live at once
			for _, q := range s.routeCatalog(r, ri, rt, full) {
				if !yield(q) {
					return
				}
			}
		}
		for _, q := range garbage(r) {
			if !yield(q) {
				return
			}
		}
	}
}

func (s Spec) routeCatalog(r *rand.Rand, ri int, rt Route, full bool) []Request {
	var out []Request
	few := full || ri%4 == 0 // the short form: a quarter of the routes get the per-route axes
	good := s.variants(rt.Auth)[0]
	path := fill(rt.Path, r, uuid4(r))
	var valid []byte
	if rt.Body != nil {
		valid, _ = json.Marshal(rt.Body(r))
	}
	base := Request{Method: rt.Method, Target: path, Header: withJSON(good.Header, valid), Body: valid, ContentLength: -1}
	// credentials: every variant on every route (the checks that matter most)
	for _, v := range s.variants(rt.Auth) {
		q := base
		q.Label, q.Header, q.Refuse = v.Label, withJSON(v.Header, valid), !v.Valid
		out = append(out, q)
	}
	if !few {
		return out
	}
	for _, m := range methods {
		q := base
		q.Label, q.Method = "method/"+m, m
		out = append(out, q)
	}
	for _, pm := range pathMutations {
		q := base
		q.Label, q.Target, q.Malformed = pm.label, pm.fn(path), pm.malformed
		out = append(out, q)
	}
	if strings.Contains(rt.Path, "{") {
		for _, id := range pathIDs {
			q := base
			q.Label, q.Target = "path/id", fill(rt.Path, r, id)
			out = append(out, q)
		}
	}
	if rt.Body != nil {
		for _, bv := range bodyVariants(valid, r) {
			q := base
			q.Label, q.Body, q.Header = bv.label, bv.body, withJSON(good.Header, bv.body)
			out = append(out, q)
		}
		for _, ct := range contentTypes {
			q := base
			q.Label, q.Header = "content-type/"+ct, append(cloneHeader(good.Header), [2]string{"Content-Type", ct})
			out = append(out, q)
		}
		out = append(out,
			Request{Label: "framing/length-longer-than-body", Method: rt.Method, Target: path, Header: withJSON(good.Header, valid), Body: valid, ContentLength: len(valid) + 100, Truncate: true},
			Request{Label: "framing/length-shorter-than-body", Method: rt.Method, Target: path, Header: withJSON(good.Header, valid), Body: valid, ContentLength: len(valid) / 2},
			Request{Label: "framing/chunked", Method: rt.Method, Target: path, Header: withJSON(good.Header, valid), Body: valid, Chunked: true},
			Request{Label: "framing/no-length", Method: rt.Method, Target: path, Header: withJSON(good.Header, valid), Body: nil, ContentLength: -2},
			Request{Label: "framing/length-and-chunked", Method: rt.Method, Target: path,
				Header: append(withJSON(good.Header, valid), [2]string{"Content-Length", "5"}), Body: valid, Chunked: true, Malformed: true},
			Request{Label: "framing/negative-length", Method: rt.Method, Target: path,
				Header: append(withJSON(good.Header, valid), [2]string{"Content-Length", "-5"}), Body: valid, ContentLength: -2, Malformed: true},
		)
	}
	// headers: noise, huge, duplicated, odd
	out = append(out,
		headerReq(base, "header/1000-headers", manyHeaders(1000), false),
		headerReq(base, "header/huge-value-512KiB", [][2]string{{"X-Pad", strings.Repeat("h", 512<<10)}}, false),
		headerReq(base, "header/over-1MiB", [][2]string{{"X-Pad", strings.Repeat("h", 1100<<10)}}, true),
		headerReq(base, "header/duplicate-content-type", [][2]string{{"Content-Type", "text/plain"}}, false),
		headerReq(base, "header/utf8-name", [][2]string{{"X-Ключ", "1"}}, true),
		headerReq(base, "header/obs-fold", [][2]string{{"X-A", "1\r\n continued"}}, true),
		headerReq(base, "header/no-colon", [][2]string{{"X-NoColon", "\r\nbroken"}}, true),
		headerReq(base, "header/expect-100", [][2]string{{"Expect", "100-continue"}}, false),
		headerReq(base, "header/expect-other", [][2]string{{"Expect", "something"}}, true),
		headerReq(base, "header/transfer-encoding-gzip", [][2]string{{"Transfer-Encoding", "gzip"}}, true),
		headerReq(base, "header/content-encoding-gzip", [][2]string{{"Content-Encoding", "gzip"}}, false),
		headerReq(base, "header/origin-foreign", [][2]string{{"Origin", "https://evil.example"}}, false),
		headerReq(base, "header/x-forwarded", [][2]string{{"X-Forwarded-For", "1.2.3.4"}, {"X-Real-Ip", "5.6.7.8"}}, false),
	)
	return out
}

// garbage is protocol garbage, sent once per target.
func garbage(r *rand.Rand) []Request {
	var out []Request
	for _, raw := range []struct{ label, raw string }{
		{"raw/empty-line", "\r\n\r\n"},
		{"raw/not-http", "hello there\r\n\r\n"},
		{"raw/http-0.9", "GET /\r\n"},
		{"raw/http-2-preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
		{"raw/http-3.0", "GET /api/version HTTP/3.0\r\nHost: x\r\n\r\n"},
		{"raw/no-host", "GET /api/version HTTP/1.1\r\n\r\n"},
		{"raw/two-hosts", "GET /api/version HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		{"raw/lf-only", "GET /api/version HTTP/1.1\nHost: x\n\n"},
		{"raw/binary", string(randomBytes(r, 256))},
		{"raw/tls-hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"},
	} {
		out = append(out, Request{Label: raw.label, Method: "GET", Raw: []byte(raw.raw), Malformed: true, Truncate: true})
	}
	return out
}

func headerReq(base Request, label string, extra [][2]string, malformed bool) Request {
	q := base
	q.Label, q.Header, q.Malformed = label, append(cloneHeader(base.Header), extra...), malformed
	return q
}

func manyHeaders(n int) [][2]string {
	out := make([][2]string, n)
	for i := range out {
		out[i] = [2]string{fmt.Sprintf("X-H-%d", i), "v"}
	}
	return out
}

func cloneHeader(h [][2]string) [][2]string { return append([][2]string(nil), h...) }

func withJSON(h [][2]string, body []byte) [][2]string {
	out := cloneHeader(h)
	if body != nil {
		out = append(out, [2]string{"Content-Type", "application/json"})
	}
	return out
}
