// Command mgm-desktop is the streamer's Desktop companion of Mimiron's Gold-o-Matic: it
// follows WoW's chat log, talks to the backend and types commands into the game, and
// serves its window at http://127.0.0.1:8766/.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/desktop/ui"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mgm-desktop:", err)
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

	a, err := app.New(app.Options{Dir: *dir, Store: store})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		errc <- ui.Serve(ctx, *addr, a, func(url string) {
			fmt.Printf("Mimiron's Gold-o-Matic Desktop: open %s\n", url)
			if *open {
				openBrowser(url)
			}
		})
		stop()
	}()
	_ = a.Run(ctx)
	return <-errc
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
