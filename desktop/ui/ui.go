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
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mimiron/mgm/desktop/api"
	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/errs"
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
	ChooseGame(pid uint32) error
	RetryCommand(id string) error
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
	files := http.FileServerFS(sub)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		// A name that is not valid UTF-8 or not a valid fs path made the file server
		// answer 500: it names no file, so it is a 404 (the HTTP sweep of issue 12).
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if !utf8.ValidString(name) || !fs.ValidPath(name) {
			writeError(w, errs.E(errs.NotFound, "no such file"))
			return
		}
		files.ServeHTTP(w, r)
	})
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
	mux.HandleFunc("POST /ui/game", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			PID uint32 `json:"pid"`
		}
		if !decode(w, r, &body) {
			return
		}
		reply(w, "this game client is the one typed into", d.ChooseGame(body.PID))
	})
	mux.HandleFunc("POST /ui/commands/{id}/retry", func(w http.ResponseWriter, r *http.Request) {
		reply(w, "typed again as soon as the game answers", d.RetryCommand(r.PathValue("id")))
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
	return guard(jsonErrors(mux))
}

// jsonErrors gives the answers ServeMux and the file server write themselves (404 for an
// unknown path, 405 for a known path asked with another method, as text/plain) the
// error body every other answer has: {"code","message","details"} with the status its
// code documents (docs/product.md §6; the HTTP sweep of issue 12 found them).
func jsonErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.RequestURI == "*" { // ServeMux answers it with a bare 400
			writeError(w, errs.E(errs.NotFound, "no such route"))
			return
		}
		next.ServeHTTP(&errorWriter{ResponseWriter: w}, r)
	})
}

type errorWriter struct {
	http.ResponseWriter
	swallow bool // the plain-text body that follows is replaced
}

func (e *errorWriter) WriteHeader(status int) {
	if status >= 400 && strings.HasPrefix(e.Header().Get("Content-Type"), "text/plain") {
		code := errs.Invalid
		switch status {
		case http.StatusNotFound:
			code = errs.NotFound
		case http.StatusMethodNotAllowed:
			code = errs.MethodNotAllowed
		case http.StatusForbidden:
			code = errs.Forbidden
		case http.StatusInternalServerError:
			code = errs.Internal
		}
		e.swallow = true
		e.Header().Del("Content-Length")
		e.Header().Del("X-Content-Type-Options")
		writeError(e.ResponseWriter, errs.E(code, "%s", strings.ToLower(http.StatusText(status))))
		return
	}
	e.ResponseWriter.WriteHeader(status)
}

func (e *errorWriter) Write(b []byte) (int, error) {
	if e.swallow {
		return len(b), nil
	}
	return e.ResponseWriter.Write(b)
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
			writeError(w, errs.E(errs.Forbidden, "the Desktop window answers on 127.0.0.1 only"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("X-MGM-Desktop") != "1" {
			writeError(w, errs.E(errs.Forbidden, "missing X-MGM-Desktop header"))
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
		writeError(w, errs.E(errs.Invalid, "JSON only (Content-Type: application/json)"))
		return false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeError(w, errs.E(errs.Invalid, "%s", err.Error()))
		return false
	}
	return true
}

// reply answers an action: ok with its message, or the error with the backend's own code
// when the backend refused (a 404 not_found payout is a 404 here too), unavailable when
// the backend could not be reached, and conflict for what the Desktop itself refuses.
func reply(w http.ResponseWriter, msg string, err error) {
	if err != nil {
		code := errs.Conflict
		var ne net.Error
		switch c := api.CodeOf(err); {
		case c != "" && c != errs.Internal:
			if _, ok := errs.Documented(c); ok {
				code = c
			}
		case api.StatusOf(err) >= 500, errors.As(err, &ne):
			code = errs.Unavailable
		}
		writeError(w, errs.E(code, "%s", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message": msg})
}

// writeError writes e with the status its code documents.
func writeError(w http.ResponseWriter, e *errs.Error) {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	writeJSON(w, errs.HTTPStatus(e.Code), e)
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
	// The same limits as the backend's listeners (pkg/svc): a client that trickles its
	// head or body, or sits idle, is cut off instead of holding a connection for ever.
	// DisableGeneralOptionsHandler: net/http answers "OPTIONS *" itself with 200, before
	// the Host check of guard (the long HTTP sweep found it); the window's own handler
	// refuses it like any other request.
	srv := &http.Server{Handler: Handler(d), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, DisableGeneralOptionsHandler: true}
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
