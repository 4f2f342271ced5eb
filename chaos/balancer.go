package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// balancer stands in for a Kubernetes Service (or the Ingress) in front of a service's
// replicas: requests go round-robin to the replicas whose readiness probe answers 200;
// a replica that refuses a connection is taken out until its probe passes again. Like
// kube-proxy it never retries a request: the caller sees the 502 and retries itself
// (Twitch redelivers a webhook, the Desktop retries a tag).
type balancer struct {
	name     string
	backends []*backend
	next     atomic.Uint64
	srv      *http.Server
	URL      string
	errors   atomic.Int64 // requests answered 502 by the balancer itself
	done     chan struct{}
}

type backend struct {
	url   *url.URL
	probe string // the replica's readiness URL
	ready atomic.Bool
}

// target is one replica: where requests go and where its readiness is asked.
type target struct{ URL, Ready string }

func newBalancer(name string, targets []target) (*balancer, error) {
	b := &balancer{name: name, done: make(chan struct{})}
	for _, t := range targets {
		u, err := url.Parse(t.URL)
		if err != nil {
			return nil, err
		}
		b.backends = append(b.backends, &backend{url: u, probe: t.Ready})
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	tr.ResponseHeaderTimeout = 30 * time.Second
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			be := b.pick()
			r.SetURL(be.url)
			r.Out.Host = r.In.Host
			*r.Out = *r.Out.WithContext(context.WithValue(r.Out.Context(), backendKey{}, be))
		},
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if be, ok := r.Context().Value(backendKey{}).(*backend); ok {
				var op *net.OpError
				if errors.As(err, &op) {
					be.ready.Store(false)
				}
			}
			b.errors.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.URL = "http://" + l.Addr().String()
	b.srv = &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = b.srv.Serve(l) }()
	go b.probe()
	return b, nil
}

type backendKey struct{}

// pick is the next ready backend, or the next one at all when none is ready.
func (b *balancer) pick() *backend {
	n := uint64(len(b.backends))
	start := b.next.Add(1)
	for i := uint64(0); i < n; i++ {
		be := b.backends[(start+i)%n]
		if be.ready.Load() {
			return be
		}
	}
	return b.backends[start%n]
}

// probe is the readiness probe: every 250 ms, like a tight periodSeconds.
func (b *balancer) probe() {
	c := &http.Client{Timeout: 500 * time.Millisecond}
	var wg sync.WaitGroup
	for {
		for _, be := range b.backends {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.Get(be.probe)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if resp != nil {
					resp.Body.Close()
				}
				be.ready.Store(ok)
			}()
		}
		wg.Wait()
		select {
		case <-b.done:
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (b *balancer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	close(b.done)
	_ = b.srv.Shutdown(ctx)
}
