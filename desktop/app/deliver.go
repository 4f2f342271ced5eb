package app

// Delivering the journaled tags to the backend: in the order seen, once, retried with
// backoff while the backend is away.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mimiron/mgm/desktop/api"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
)

// deliverLoop delivers journaled tags in the order seen, retrying with backoff. A
// transport failure (backend down) ends the pass: everything waits and goes out, in
// order, once the backend answers again.
func (a *App) deliverLoop(ctx context.Context) {
	type retry struct {
		at time.Time
		n  int
	}
	next := map[string]retry{}
	for ctx.Err() == nil {
		pending, err := a.j.Pending()
		if err != nil {
			a.eventf("error", "journal: %v", err)
		}
		wait := time.Duration(-1)
		now := time.Now()
		for _, r := range pending {
			if rt, ok := next[r.Key]; ok && now.Before(rt.at) {
				if d := rt.at.Sub(now); wait < 0 || d < wait {
					wait = d
				}
				continue
			}
			done, note, err := a.deliver(ctx, r)
			if ctx.Err() != nil {
				return
			}
			switch {
			case err == nil:
				delete(next, r.Key)
				state := journal.StateDone
				if !done {
					state = journal.StateSkipped
				}
				if err := a.j.Finish(r.Key, state, note); err != nil {
					a.eventf("error", "journal: %v", err)
				}
				a.eventf("info", "delivered %s%s", describe(r), suffix(note))
				wake(a.wakePoll)
			case api.Permanent(err):
				delete(next, r.Key)
				if err := a.j.Finish(r.Key, journal.StateFailed, err.Error()); err != nil {
					a.eventf("error", "journal: %v", err)
				}
				a.eventf("error", "%s refused by the backend: %v", describe(r), err)
				wake(a.wakePoll)
			default:
				rt := next[r.Key]
				rt.n++
				d := a.backoff(rt.n)
				if ra := api.RetryAfter(err); ra > d {
					d = ra
				}
				rt.at = time.Now().Add(d)
				next[r.Key] = rt
				_ = a.j.Attempted(r.Key, err.Error())
				if rt.n == 1 || rt.n%10 == 0 {
					a.eventf("warn", "%s not delivered yet (attempt %d, retrying): %v", describe(r), rt.n, err)
				}
				if wait < 0 || d < wait {
					wait = d
				}
				if api.StatusOf(err) == 0 { // backend unreachable: the rest would fail too
					a.setStatus(&a.apiStat, "error", "backend unreachable: %v", err)
					goto sleep
				}
			}
		}
	sleep:
		var timer <-chan time.Time
		if wait >= 0 {
			timer = time.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-a.wakeDeliver:
		case <-timer:
		}
	}
}

func suffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

func (a *App) backoff(n int) time.Duration {
	d := a.opts.BackoffMin
	for i := 1; i < n && d < a.opts.BackoffMax; i++ {
		d *= 2
	}
	return min(d, a.opts.BackoffMax)
}

// errNotActive is the text of the not_found payoutName answers when the payout is no longer
// in the pending list, so its character name cannot be learned.
var errNotActive = errors.New("payout is not active any more (not in the pending list)")

// deliver makes the backend call for one record. done is false when the call was
// skipped on purpose (note says why).
func (a *App) deliver(ctx context.Context, r journal.Record) (done bool, note string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch r.Kind {
	case tags.Who:
		reply, err := a.api.VerifyCandidate(ctx, r.Payload)
		if err != nil {
			return false, "", err
		}
		if reply != nil && reply.Outcome != "" {
			return true, "outcome: " + reply.Outcome, nil
		}
		return true, "", nil
	case tags.Accept:
		name, err := a.payoutName(ctx, r.ID)
		if err != nil {
			return false, "", err
		}
		return true, "", a.api.ConfirmAcceptance(ctx, r.ID, name)
	case tags.Confirm:
		return a.markSent(ctx, r.ID)
	case tags.Items, tags.GiftAccept, tags.GiftSent:
		if !a.Settings().GiftsEnabled {
			return false, "gift routes are switched off in Settings", nil
		}
		return a.deliverGift(ctx, r)
	}
	return false, "nothing to deliver", nil
}

// markSent sets a payout Sent after its mail went out ([MGM_CONFIRM]). The backend
// answers every forbidden transition with 409 terminal_status_change_not_allowed and
// details {from, to}:
//   - from Pending: the payout was unlocked after its mail was armed; the mail still went
//     out, so it is moved to InProgress and then Sent;
//   - from Sent (or not said): nothing left to do, counted as done;
//   - from Cancelled, Failed or Expired: gold went to a payout that is closed — a
//     permanent failure the streamer must look at.
func (a *App) markSent(ctx context.Context, id string) (bool, string, error) {
	err := a.api.SetStatus(ctx, id, domain.PayoutSent)
	if from := conflictFrom(err); from == domain.PayoutPending {
		if err = a.api.SetStatus(ctx, id, domain.PayoutInProgress); err == nil {
			err = a.api.SetStatus(ctx, id, domain.PayoutSent)
		}
	}
	if api.StatusOf(err) == http.StatusConflict {
		switch from := conflictFrom(err); from {
		case "", domain.PayoutSent:
			return true, "payout was already final", nil
		default:
			return false, "", fmt.Errorf("the mail went out but the payout is %s: %w", from, err)
		}
	}
	if err != nil {
		return false, "", err
	}
	return true, "", nil
}

// conflictFrom is the payout's status named in a 409's details ("from"), "" when none.
func conflictFrom(err error) string {
	var e *api.Error
	if !errors.As(err, &e) || e.Status != http.StatusConflict {
		return ""
	}
	for _, k := range []string{"from", "status"} {
		if s, ok := e.Details[k].(string); ok {
			return s
		}
	}
	return ""
}

// payoutName finds a payout's character name: remembered from the pending list or the
// consent whisper, else fetched.
func (a *App) payoutName(ctx context.Context, id string) (string, error) {
	if n, _ := a.j.Name(id); n != "" {
		return n, nil
	}
	ps, err := a.api.Pending(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range ps {
		_ = a.j.SetName(p.ID, p.CharacterName)
		if p.ID == id {
			return p.CharacterName, nil
		}
	}
	return "", &api.Error{Status: http.StatusNotFound, Code: errs.NotFound, Message: errNotActive.Error()}
}
