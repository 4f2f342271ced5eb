// Package ui serves the streamer's window: a local web page on 127.0.0.1 (assets embedded
// in the binary, plain HTML/JS/CSS) and the small JSON API behind its buttons.
package ui

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/settings"
)

//go:embed static
var static embed.FS

// Desktop is what the window drives (app.App).
type Desktop interface {
	State() app.State
	Sync(ctx context.Context, ids []string) (string, error)
	SetStatus(ctx context.Context, id, status string) error
	StartPing(ctx context.Context) error
	StartPair(ctx context.Context) error
	UpdateSettings(s settings.Settings, key *string) error
	TestConnection(ctx context.Context) (string, error)
	Refresh()
	SelectGiftItem(ctx context.Context, id string, itemID int64) (string, error)
	FailGift(ctx context.Context, id string) (string, error)
	DismissGiftAlert(key string) error
}

// Handler serves the window for d.
func Handler(d Desktop) http.Handler {
	mux := http.NewServeMux()
	sub, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(sub))
	mux.HandleFunc("GET /ui/state", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, d.State())
	})
	mux.HandleFunc("POST /ui/sync", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			IDs []string `json:"ids"`
		}
		if !decode(w, r, &body) {
			return
		}
		msg, err := d.Sync(r.Context(), body.IDs)
		reply(w, msg, err)
	})
	mux.HandleFunc("POST /ui/payouts/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Status string `json:"status"`
		}
		if !decode(w, r, &body) {
			return
		}
		err := d.SetStatus(r.Context(), r.PathValue("id"), body.Status)
		reply(w, "payout → "+body.Status, err)
	})
	mux.HandleFunc("POST /ui/gifts/{id}/select", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ItemID int64 `json:"itemId"`
		}
		if !decode(w, r, &body) {
			return
		}
		msg, err := d.SelectGiftItem(r.Context(), r.PathValue("id"), body.ItemID)
		reply(w, msg, err)
	})
	mux.HandleFunc("POST /ui/gifts/{id}/fail", func(w http.ResponseWriter, r *http.Request) {
		msg, err := d.FailGift(r.Context(), r.PathValue("id"))
		reply(w, msg, err)
	})
	mux.HandleFunc("POST /ui/gift-alerts/dismiss", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Key string `json:"key"`
		}
		if !decode(w, r, &body) {
			return
		}
		reply(w, "dismissed", d.DismissGiftAlert(body.Key))
	})
	mux.HandleFunc("POST /ui/ping", func(w http.ResponseWriter, r *http.Request) {
		// The outcome arrives through the log; the page watches the bridge status.
		err := d.StartPing(context.WithoutCancel(r.Context()))
		reply(w, "self-test started", err)
	})
	mux.HandleFunc("POST /ui/pair", func(w http.ResponseWriter, r *http.Request) {
		// A new key replaces the old one once the addon's answer is read from the log.
		err := d.StartPair(context.WithoutCancel(r.Context()))
		reply(w, "pairing started", err)
	})
	mux.HandleFunc("POST /ui/refresh", func(w http.ResponseWriter, r *http.Request) {
		d.Refresh()
		reply(w, "refreshing", nil)
	})
	mux.HandleFunc("POST /ui/settings", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			settings.Settings
			APIKey *string `json:"apiKey"`
		}
		if !decode(w, r, &body) {
			return
		}
		if body.APIKey != nil && *body.APIKey == "" {
			body.APIKey = nil // empty field: keep the stored key
		}
		reply(w, "settings saved", d.UpdateSettings(body.Settings, body.APIKey))
	})
	mux.HandleFunc("POST /ui/test-connection", func(w http.ResponseWriter, r *http.Request) {
		msg, err := d.TestConnection(r.Context())
		reply(w, msg, err)
	})
	return guard(mux)
}

// guard admits only what the streamer's own browser sends to the local page: the Host
// must be a loopback name (a DNS-rebinding page has its own host name), and a POST must
// carry the X-MGM-Desktop header, which a cross-site form cannot send and a cross-site
// script may not send without a CORS preflight this server never approves.
func guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if host != "127.0.0.1" && host != "localhost" && host != "[::1]" && host != "::1" {
			writeJSON(w, http.StatusForbidden, map[string]string{"code": "forbidden", "message": "the Desktop window answers on 127.0.0.1 only"})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("X-MGM-Desktop") != "1" {
			writeJSON(w, http.StatusForbidden, map[string]string{"code": "forbidden", "message": "missing X-MGM-Desktop header"})
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:")
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"code": "invalid_payload", "message": "JSON only"})
		return false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "invalid_payload", "message": err.Error()})
		return false
	}
	return true
}

func reply(w http.ResponseWriter, msg string, err error) {
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]any{"ok": false, "message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Serve listens on addr (a loopback address; "127.0.0.1:0" picks a port) and serves the
// window until ctx is done. ready receives the page's URL.
func Serve(ctx context.Context, addr string, d Desktop, ready func(url string)) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errors.New("the Desktop window listens on a loopback address only (127.0.0.1)")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: Handler(d), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/")
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
