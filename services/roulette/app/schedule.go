package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/services/roulette/domain"
)

// Tick does whatever is due at now and returns the next instant something may be due:
// draw the latest boundary's cycle if its draw window is open and it is not drawn yet
// (one replica draws, the others find it locked or done), give up on cycles whose window
// closed undrawn, complete unanswered cycles past their deadline with no_report, and
// publish what is unpublished. Every step is idempotent, so any number of replicas may
// tick the same instant. Tests call Tick with a fake clock; Loop calls it in production.
func (a *Service) Tick(ctx context.Context, now time.Time) (time.Time, error) {
	now = norm(now)
	var errList []error
	retry := false

	if b, ok := domain.DueBoundary(now, a.Interval); ok {
		pending, err := a.draw(ctx, b, now)
		if err != nil {
			errList = append(errList, err)
		}
		retry = pending
	}
	if n, err := a.Repo.MissPending(ctx, now.Add(-domain.DrawWindow(a.Interval))); err != nil {
		errList = append(errList, err)
	} else if n > 0 {
		a.Log.Warn("spin boundaries passed undrawn (pool unreachable or service down)", zap.Int("cycles", n))
		a.count(string(domain.StateMissed), n)
	}
	expired, err := a.Repo.ExpireOverdue(ctx, now)
	if err != nil {
		errList = append(errList, err)
	}
	for _, c := range expired {
		a.Log.Info("cycle completed without report", zap.String("spinCycleId", c.ID))
	}
	a.count(string(domain.NoReport), len(expired))
	// Always reconcile: a replica that committed a change and died before publishing
	// is covered by whichever replica ticks next. A failure makes the loop retry soon.
	if err := a.flush(ctx); err != nil {
		errList = append(errList, fmt.Errorf("publish roulette events: %w", err))
	}
	if err := a.refreshSnapshot(ctx); err != nil {
		errList = append(errList, err)
	}

	next := shared.NextBoundary(now, a.Interval)
	if retry {
		next = minTime(next, now.Add(a.RetryEvery))
	}
	if d, ok, err := a.Repo.NextDeadline(ctx); err != nil {
		errList = append(errList, err)
	} else if ok {
		// The sweep completes a cycle once now is after its deadline.
		next = minTime(next, maxTime(d.Add(time.Microsecond), now.Add(a.RetryEvery)))
	}
	next = minTime(next, now.Add(a.MaxIdle))
	return next, errors.Join(errList...)
}

// draw makes sure the cycle of boundary b exists and, if it is still pending, asks the
// pool for a candidate while holding the cycle's row lock. It reports whether the cycle
// is still pending afterwards because the pool did not answer (retry soon).
func (a *Service) draw(ctx context.Context, b, now time.Time) (bool, error) {
	c := domain.NewCycle(b, a.Interval)
	if err := a.Repo.EnsureCycle(ctx, c); err != nil {
		return false, err
	}
	var poolErr error
	var state domain.State
	drew, err := a.Repo.DrawPending(ctx, c.ID, func(c *domain.Cycle) error {
		timeout := min(a.DrawTimeout, b.Add(domain.DrawWindow(a.Interval)).Sub(now)+100*time.Millisecond)
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cand, eligible, err := a.Pool.Draw(rctx, c.ID)
		if err != nil {
			poolErr = err
			return err
		}
		err = c.RecordDraw(cand, eligible, now)
		state = c.State
		return err
	})
	if poolErr != nil {
		a.Log.Warn("pool draw failed, will retry within the draw window",
			zap.String("spinCycleId", c.ID), zap.Time("boundary", b), zap.Error(poolErr))
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if drew {
		a.Log.Info("cycle drawn", zap.String("spinCycleId", c.ID), zap.Time("boundary", b))
		if state == domain.StateEmpty {
			a.count(string(domain.StateEmpty), 1)
		} else {
			a.count("drawn", 1)
		}
	}
	return false, nil
}

// Loop runs Tick at every due instant until ctx ends.
func (a *Service) Loop(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		now := a.Now()
		next, err := a.Tick(ctx, now)
		if err != nil && ctx.Err() == nil {
			a.Log.Warn("roulette tick", zap.Error(err))
		}
		// Re-read the clock: the tick itself took time.
		wait := next.Sub(a.Now())
		if err != nil {
			wait = min(max(wait, 0), a.RetryEvery)
		}
		timer.Reset(max(wait, time.Millisecond))
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
