package service

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
)

// newEventSubProxy forwards the EventSub webhook to ingest byte for byte: the HMAC
// covers the raw body and the Twitch-Eventsub-* headers, so nothing is decoded here.
func newEventSubProxy(target *url.URL, g *Gateway) http.Handler {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	transport.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.ResponseHeaderTimeout = 10 * time.Second
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.writeError(w, r, errs.Wrap(errs.Unavailable, err, "event intake unavailable"))
		},
	}
}
