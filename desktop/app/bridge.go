package app

// The log bridge: finding and following the chat log, and journaling the tags read from it.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/logtail"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain"
)

// logCandidates are where the chat log may be: the log path of the settings, else the
// places the WoW folder's log can be (settings.LogCandidates: the folder itself and UAC's
// VirtualStore copy), the folder being the settings' or, when not set, the running
// game's (the injector's Locator).
func (a *App) logCandidates() []string {
	s := a.Settings()
	if s.LogPath != "" {
		return []string{s.LogPath}
	}
	dir := s.WoWDir
	if dir == "" {
		a.mu.Lock()
		dir = a.gameDir
		a.mu.Unlock()
	}
	return settings.LogCandidates(dir, a.opts.LocalAppData)
}

func modTime(path string) (time.Time, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, false
	}
	return fi.ModTime(), true
}

// checkLogPath restarts the tail when the log it waits for will not come but another
// candidate exists (the game writes to UAC's VirtualStore instead of its folder), or
// when a log location became known (the game was found). A log being followed is never
// left for another.
func (a *App) checkLogPath() {
	cands := a.logCandidates()
	a.mu.Lock()
	cur, cancel := a.tailPath, a.tailCancel
	a.mu.Unlock()
	if cancel == nil {
		return
	}
	if cur == "" {
		if len(cands) > 0 {
			cancel()
		}
		return
	}
	if _, ok := modTime(cur); ok {
		return
	}
	a.noteMissing(cur)
	for _, c := range cands {
		if _, ok := modTime(c); ok && c != cur {
			a.eventf("info", "the chat log is %s (not %s)", c, cur)
			cancel()
			return
		}
		a.noteMissing(c)
	}
}

// noteMissing remembers a log location seen without a file: a file there later is new
// from its first byte.
func (a *App) noteMissing(path string) {
	a.mu.Lock()
	if a.missing == nil {
		a.missing = map[string]bool{}
	}
	a.missing[path] = true
	a.mu.Unlock()
}

// tailLoop follows the chat log (logCandidates), restarting on a new path.
func (a *App) tailLoop(ctx context.Context) {
	for ctx.Err() == nil {
		cands := a.logCandidates()
		for _, c := range cands {
			if _, ok := modTime(c); !ok {
				a.noteMissing(c)
			}
		}
		path := settings.PickLog(cands, modTime)
		tctx, cancel := context.WithCancel(ctx)
		a.mu.Lock()
		a.tailCancel, a.tailPath = cancel, path
		a.mu.Unlock()
		if path == "" {
			a.setStatus(&a.logStat, "error", "start WoW (the Desktop then finds its folder), or set the WoW folder (or a chat log path) in Settings")
			<-tctx.Done()
			cancel()
			continue
		}
		pos, err := a.j.Position(path)
		if err != nil {
			a.eventf("error", "journal: %v", err)
		}
		a.setStatus(&a.logStat, "warn", "waiting for %s — is chat logging on? (the addon turns it on at login; /chatlog toggles it)", path)
		t := logtail.New(path, pos)
		a.mu.Lock()
		appeared := a.missing[path]
		a.mu.Unlock()
		if pos == nil && appeared {
			t.FromStart()
		}
		_ = t.Follow(tctx, a.opts.TailEvery, func(b logtail.Batch) error { return a.handleBatch(path, b) })
		cancel()
	}
}

// isLocal marks the tags that need no backend call.
func isLocal(k tags.Kind) bool {
	return k == tags.Pong || k == tags.Pair || k == tags.Ack || k == tags.Bye
}

// handleBatch records the batch's tags and the position after it in one journal
// transaction, then acts on what is new. A failed commit leaves the batch to be offered
// again, so nothing read is lost and nothing is recorded twice. Only tag lines of the
// streamer's own addon count (auth.go); every other line holding "[MGM_" is refused and
// logged. Lines signed with a pairing's key not confirmed yet are held with it (auth.go).
func (a *App) handleBatch(path string, b logtail.Batch) error {
	var found []journal.Found
	for _, l := range b.Lines {
		a.aliveFrom(l.Text)
		line, err := tags.Read(l.Text)
		if errors.Is(err, tags.ErrNoTag) {
			continue
		}
		var t tags.Tag
		note := ""
		if err == nil {
			t, note, err = a.admit(line)
		}
		a.mu.Lock()
		saveErr := a.saveErr
		a.saveErr = nil
		if errors.Is(err, errHeld) && a.tent != nil {
			a.tent.held = append(a.tent.held, journal.Found{Tag: t, Line: l.Text})
		}
		a.mu.Unlock()
		if saveErr != nil {
			a.eventf("error", "could not save the bridge pairing (it is needed again after a restart): %v", saveErr)
		}
		if note != "" {
			a.eventf("info", "%s", note)
		}
		switch {
		case errors.Is(err, errHeld), errors.Is(err, errRepeat):
			continue
		case err != nil:
			a.refuseLine(l.Text, err)
			continue
		}
		found = append(found, journal.Found{Tag: t, Line: l.Text})
	}
	var pos *logtail.Position
	if b.Valid {
		pos = &b.Pos
	}
	return a.record(path, pos, found, b.Notes)
}

// record journals tags read from the log (and the position after them, when pos is not
// nil) and acts on the new ones.
func (a *App) record(path string, pos *logtail.Position, found []journal.Found, notes []string) error {
	created, err := a.j.Commit(path, pos, found, isLocal)
	if err != nil {
		a.eventf("error", "%v", err)
		return err
	}
	for _, n := range notes {
		a.eventf("info", "%s", n)
	}
	if pos != nil {
		a.mu.Lock()
		if a.logStat.Level != "ok" {
			a.logStat = Status{"ok", "following " + path}
		}
		a.mu.Unlock()
	}
	var sessions []sessionEvent
	var pongs []string
	for _, r := range created {
		a.eventf("info", "seen %s", describe(r))
		switch r.Kind {
		case tags.Pong:
			if m := keyPong.FindStringSubmatch(r.ID); m != nil {
				at, ok := tags.Stamp(r.Line, time.Now(), time.Local)
				sessions = append(sessions, sessionEvent{pong: true, session: m[1], at: at, stamped: ok,
					late: ok && time.Since(at) > a.opts.PingTimeout})
			} else {
				a.onPong(r.ID)
			}
			pongs = append(pongs, r.ID)
		case tags.Ack:
			a.onAck(r.ID)
		case tags.Bye:
			sessions = append(sessions, sessionEvent{session: r.ID})
		case tags.Items:
			wake(a.wakePoll) // the window shows the list as soon as it is read
		}
	}
	a.onSessions(sessions)
	for _, id := range pongs {
		a.afterPong(id)
	}
	if len(created) > 0 {
		wake(a.wakeDeliver)
	}
	return nil
}

// refuseLine logs a chat log line that holds a tag but is not the streamer's addon's.
func (a *App) refuseLine(line string, why error) {
	a.mu.Lock()
	a.refused++
	if strings.Contains(line, "[MGM_PONG:") {
		a.refusedPong = why.Error()
	}
	a.mu.Unlock()
	a.eventf("warn", "refused a tag line of the chat log (%v): %s", why, domain.Excerpt(line, 120))
}

func describe(r journal.Record) string {
	if r.Kind == tags.Who {
		return fmt.Sprintf("[%s] %s", r.Kind, string(r.Payload))
	}
	return fmt.Sprintf("[%s:%s]", r.Kind, r.ID)
}
