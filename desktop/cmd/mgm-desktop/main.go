// Command mgm-desktop is the streamer's Desktop companion of Mimiron's Gold-o-Matic: it
// follows WoW's chat log, talks to the backend and types commands into the game, and
// serves its window at http://127.0.0.1:8766/. On Windows it is built as a GUI program
// (scripts/build-desktop.sh): no console window; it logs to desktop.log in its config
// folder and reports a fatal start-up error in a message box.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/desktop/ui"
)

// version is set at build time (scripts/build-desktop.sh: -X main.version=…).
var version = "dev"

func main() {
	if err := run(); err != nil {
		fatal("mgm-desktop: " + err.Error())
		os.Exit(1)
	}
}

func run() error {
	defDir, _ := settings.DefaultDir()
	dir := flag.String("config-dir", defDir, "where settings, the API key and the journal are kept")
	addr := flag.String("addr", "127.0.0.1:8766", "the window's address (loopback only)")
	apiURL := flag.String("api", "", "override: API base URL (saved)")
	apiKey := flag.String("api-key", "", "override: API key (saved; prefer entering it in the window)")
	wowDir := flag.String("wow-dir", "", "override: WoW folder (saved)")
	logPath := flag.String("log", "", "override: chat log path (saved)")
	strategy := flag.String("strategy", "", "override: injection strategy postmessage|sendinput (saved)")
	process := flag.String("process", "", "override: WoW process name (saved)")
	open := flag.Bool("open", true, "open the window in the default browser")
	flag.Parse()
	if *dir == "" {
		return fmt.Errorf("no config directory: pass -config-dir")
	}
	lf, err := openLog(*dir, os.Stderr)
	if err != nil {
		return fmt.Errorf("open the log file: %w", err)
	}
	defer lf.Close()
	_ = debug.SetCrashOutput(lf.f, debug.CrashOptions{}) // a crash is written to desktop.log too
	lf.Printf("mgm-desktop %s starting (config %s)", version, *dir)

	store := &settings.Store{Dir: *dir}
	s, err := store.Load()
	if err != nil {
		return err
	}
	changed := false
	for _, o := range []struct {
		v   string
		dst *string
	}{{*apiURL, &s.APIBaseURL}, {*wowDir, &s.WoWDir}, {*logPath, &s.LogPath}, {*strategy, &s.Strategy}, {*process, &s.ProcessName}} {
		if o.v != "" {
			*o.dst, changed = o.v, true
		}
	}
	if changed {
		if s, err = s.Validate(); err != nil {
			return err
		}
		if err := store.Save(s); err != nil {
			return err
		}
	}
	if *apiKey != "" {
		if err := store.SaveKey(*apiKey); err != nil {
			return err
		}
	}

	a, err := app.New(app.Options{Dir: *dir, Store: store, Logf: lf.Printf})
	if err != nil {
		lf.Printf("error %v", err)
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		errc <- ui.Serve(ctx, *addr, a, func(url string) {
			lf.Printf("info the window: %s", url)
			if *open {
				openBrowser(url)
			}
		})
		stop()
	}()
	_ = a.Run(ctx)
	if err := <-errc; err != nil {
		lf.Printf("error %v", err)
		return err
	}
	lf.Printf("info stopped")
	return nil
}

func openBrowser(url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	_ = cmd.Start()
}
