package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/pkg/domain"
)

// pollLoop polls the backend and drives the game: one /who per spin cycle, one consent
// whisper per new Pending payout.
func (a *App) pollLoop(ctx context.Context) {
	t := time.NewTicker(a.opts.PollEvery)
	defer t.Stop()
	for {
		a.pollOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.wakePoll:
		}
	}
}

// Refresh polls now (the window's buttons call it after an action).
func (a *App) Refresh() { wake(a.wakePoll) }

func (a *App) pollOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, ferr := a.q.Find(ctx)
	a.listClients(ctx, ferr)
	if ferr != nil {
		a.setStatus(&a.wow, "error", "%v", ferr)
	} else {
		// the WoW light's text is the typing loop's once the game is found (commands.go:
		// waiting for the self-test key's answer, or in the world)
		if loc, ok := a.q.Injector().(inject.Locator); ok {
			if image, err := loc.GameImage(ctx); err == nil && image != "" {
				a.mu.Lock()
				a.gameDir = filepath.Dir(image)
				a.mu.Unlock()
			}
		}
	}
	a.checkLogPath()

	payouts, err := a.api.Pending(ctx)
	if err != nil {
		a.setStatus(&a.apiStat, "error", "%v", err)
		return
	}
	cand, err := a.api.Candidate(ctx)
	if err != nil {
		a.setStatus(&a.apiStat, "error", "%v", err)
		return
	}
	a.setStatus(&a.apiStat, "ok", "connected to %s", a.Settings().APIBaseURL)
	for _, p := range payouts {
		_ = a.j.SetName(p.ID, p.CharacterName)
	}
	a.pollGifts(ctx)
	a.mu.Lock()
	a.payouts, a.candidate = payouts, cand
	a.mu.Unlock()

	if ferr != nil {
		return // nothing can be typed; the next poll tries again
	}
	// Commands are recorded here and typed by the typing loop once the game answers
	// (commands.go). Marked after recording: a crash in between records it again, which
	// the addon and the backend take as a repeat; the reverse would lose a spin.
	if cand != nil {
		if typed, _ := a.j.Typed("who", cand.SpinCycleID); !typed {
			if _, err := a.submit(cmdWho, cand.SpinCycleID, inject.RunWho(cand.SpinCycleID, cand.CharacterName)); err != nil {
				a.eventf("warn", "could not queue /who for %s: %v", cand.CharacterName, err)
			} else {
				_ = a.j.MarkTyped("who", cand.SpinCycleID)
				a.eventf("info", "spin %s: asking the game who %s is", short(cand.SpinCycleID), cand.CharacterName)
			}
		}
	}
	for _, p := range payouts {
		if p.Status != domain.PayoutPending || p.AcceptedAt != nil {
			continue
		}
		if typed, _ := a.j.Typed("notify", p.ID); typed {
			continue
		}
		if _, err := a.submit(cmdNotify, p.ID, inject.NotifyWinner(p.ID, p.CharacterName)); err != nil {
			a.eventf("warn", "could not queue the consent whisper to %s: %v", p.CharacterName, err)
			continue
		}
		_ = a.j.MarkTyped("notify", p.ID)
		a.eventf("info", "winner %s: consent whisper queued for the game (payout %s)", p.CharacterName, short(p.ID))
	}
	a.driveGifts(ctx)
}

// GameClient is a running game client the streamer can choose.
type GameClient struct {
	PID   uint32 `json:"pid"`
	Title string `json:"title"`
	Image string `json:"image"`
}

// listClients keeps the list of game clients to choose from while several run and none
// is chosen (the injector says ErrSeveral), and clears it otherwise.
func (a *App) listClients(ctx context.Context, findErr error) {
	var list []GameClient
	if ch, ok := a.q.Injector().(inject.Chooser); ok && errors.Is(findErr, inject.ErrSeveral) {
		ws, err := ch.Clients(ctx)
		if err == nil {
			for _, w := range ws {
				list = append(list, GameClient{PID: w.PID, Title: w.Title, Image: w.Image})
			}
		}
	}
	a.mu.Lock()
	a.clients = list
	a.mu.Unlock()
}

// ChooseGame makes the client of process pid the one typed into (the window's list of
// clients when several run). Typing into the wrong client could pay the wrong realm's
// character, so the Desktop never picks one of several by itself.
func (a *App) ChooseGame(pid uint32) error {
	ch, ok := a.q.Injector().(inject.Chooser)
	if !ok {
		return errors.New("this injector has one game only")
	}
	ch.Choose(pid)
	a.eventf("info", "the game client of process %d is the one typed into", pid)
	wake(a.wakePoll)
	return nil
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// ErrNoGame is returned by Sync when the WoW client is not found.
var ErrNoGame = errors.New("WoW client not found: start WoW (or check the process name in Settings) before Sync")

// Sync moves the chosen payouts (all active ones when ids is empty) to InProgress —
// only when the game is there to receive them — and types ReceiveGold for them. Payouts
// already InProgress are typed again (the addon ignores an id it already queued).
func (a *App) Sync(ctx context.Context, ids []string) (string, error) {
	if _, err := a.q.Find(ctx); err != nil {
		a.eventf("warn", "Sync refused: %v", err)
		return "", fmt.Errorf("%w (%v)", ErrNoGame, err)
	}
	payouts, err := a.api.Pending(ctx)
	if err != nil {
		return "", fmt.Errorf("read pending payouts: %w", err)
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var entries []inject.GoldEntry
	var problems []string
	for _, p := range payouts {
		if len(want) > 0 && !want[p.ID] {
			continue
		}
		if p.Status == domain.PayoutPending {
			if err := a.api.SetStatus(ctx, p.ID, domain.PayoutInProgress); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", p.CharacterName, err))
				continue
			}
		}
		gold := p.GoldAmount
		if gold <= 0 {
			gold = domain.PayoutGold
		}
		entries = append(entries, inject.GoldEntry{PayoutID: p.ID, CharacterName: p.CharacterName, Copper: gold * domain.CopperPerGold})
	}
	defer a.Refresh()
	if len(entries) == 0 {
		if len(problems) > 0 {
			return "", fmt.Errorf("nothing synced: %s", strings.Join(problems, "; "))
		}
		return "nothing to sync", nil
	}
	calls, err := inject.ReceiveGold(entries)
	if err != nil {
		return "", err
	}
	if _, err := a.submit(cmdGold, entries[0].PayoutID, calls...); err != nil {
		a.eventf("error", "Sync: payouts are InProgress but ReceiveGold could not be queued (%v); press Sync again", err)
		return "", err
	}
	msg := fmt.Sprintf("synced %d payout(s) in %d command(s), typed as soon as the game answers; then open a mailbox in game and press Prepare Mail", len(entries), len(calls))
	if len(problems) > 0 {
		msg += "; skipped: " + strings.Join(problems, "; ")
	}
	a.eventf("info", "%s", msg)
	return msg, nil
}

// SetStatus is the window's Mark Sent / Mark Failed / Cancel / Unlock (→ Pending).
func (a *App) SetStatus(ctx context.Context, id, status string) error {
	switch status {
	case domain.PayoutSent, domain.PayoutFailed, domain.PayoutCancelled, domain.PayoutPending:
	default:
		return fmt.Errorf("status %q cannot be set from the Desktop", status)
	}
	defer a.Refresh()
	if err := a.api.SetStatus(ctx, id, status); err != nil {
		a.eventf("error", "payout %s → %s refused: %v", short(id), status, err)
		return err
	}
	a.eventf("info", "payout %s → %s", short(id), status)
	return nil
}
