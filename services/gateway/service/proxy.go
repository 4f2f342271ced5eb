package service

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// newEventSubProxy forwards the EventSub webhook to ingest byte for byte: the HMAC
// covers the raw body and the Twitch-Eventsub-* headers, so nothing is decoded here.
//
// The body is read whole (at most eventsub.MaxBody) before ingest is asked. Streaming
// it let ingest refuse an oversize body after its first MiB and close the connection
// while the proxy was still writing: the proxy saw a write error and answered 503
// unavailable for what is the client's error (invalid_payload, 400), or, when ingest's
// answer won the race, passed it on — two statuses for one request (issue 12).
func newEventSubProxy(target *url.URL, g *Gateway) http.Handler {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	transport.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.ResponseHeaderTimeout = 10 * time.Second
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.writeError(w, r, errs.Wrap(errs.Unavailable, err, "event intake unavailable"))
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, eventsub.MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				err = errs.E(errs.Invalid, "body larger than %d bytes", eventsub.MaxBody)
			} else {
				err = errs.Wrap(errs.Invalid, err, "could not read the body")
			}
			g.writeError(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Del("Expect") // the body is here already; ingest need not ask for it
		r.TransferEncoding = nil
		proxy.ServeHTTP(w, r)
	})
}
