package app

// The push to the viewers' panels (docs/product.md §6, "Pushing to the panel"): the
// shared state broadcast on the channel when the domain's plan says so, and each
// viewer's own changes whispered to the opaque id their panel listens under.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/helix"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// PubSub sends one Extension PubSub message (helix.ExtensionPubSub).
type PubSub interface {
	Send(ctx context.Context, broadcasterID, target, message string) error
}

// PanelViewers finds the opaque id of a viewer who shared their identity
// (adapters.Viewers over events.ViewersBucket, written by the gateway).
type PanelViewers interface {
	OpaqueID(ctx context.Context, twitchUserID string) (string, bool, error)
}

// PanelShared is the shared state as the state route computes it, plus the gift queue's
// order (adapters.SharedState).
type PanelShared interface {
	// State is the state now; ok is false until the state documents were read.
	State(ctx context.Context) (s domain.PanelState, ok bool, err error)
}

// PanelLeader says whether this replica is the one that pushes (adapters.Lease).
type PanelLeader interface {
	// Lead takes or renews the lease and says whether this replica holds it.
	Lead(ctx context.Context) (bool, error)
	// Holds says, without asking anyone, whether this replica renewed the lease
	// recently enough that no other replica can have taken it since.
	Holds() bool
}

// PanelVersions hands out increasing broadcast versions, across replicas and restarts
// (adapters.Versions).
type PanelVersions interface {
	Next(ctx context.Context) (int64, error)
}

// PanelMetrics count pushes: sent (broadcasts and whispers), rate-limited answers,
// whispers skipped because the viewer's opaque id is unknown (never shared, or
// expired), and pool-only whispers dropped because their share of the minute was used.
type PanelMetrics struct {
	Broadcasts, Whispers, RateLimited, Failed, Unlinked, Dropped Counter
}

// Panel pushes to the panels.
type Panel struct {
	PubSub        PubSub
	Viewers       PanelViewers
	Shared        PanelShared
	Leader        PanelLeader
	Versions      PanelVersions
	Plan          domain.BroadcastPlan
	BroadcasterID string
	// MaxEventAge: a viewer's change older than this is not whispered (a consumer
	// created on an old stream must not replay history to panels).
	MaxEventAge time.Duration
	// Tick is how often the broadcast loop looks at the state.
	Tick time.Duration
	// RateWait is how long pushes pause after a 429 that names no Ratelimit-Reset
	// (Twitch names one; this is the fallback).
	RateWait time.Duration
	// Budget is the pusher's own share of Twitch's per-channel limit (zero value:
	// DefaultPushBudget).
	Budget  PushBudget
	Metrics PanelMetrics
	Log     *zap.Logger
	Now     func() time.Time

	limit  rateGate
	window pushWindow
	// poolDropped is the newest stream sequence of a pool change whose whisper was
	// dropped; broadcasts carry it (domain.PanelState.PoolResync).
	poolDropped atomic.Uint64
}

// PushBudget is the pusher's own minute. Twitch accepts 100 Extension PubSub messages a
// minute per extension and channel, broadcasts and whispers together
// (https://dev.twitch.tv/docs/api/reference/#send-extension-pubsub-message, Rate Limits;
// twitchdev/issues#612), and a 429 stops every push until the minute turns — the
// broadcast that every panel waits for included. So the pusher counts its own sends
// over a sliding minute and never asks for more than PerMinute, with shares: the last
// BroadcastReserve messages of the minute are for broadcasts only, and the
// WhisperReserve before them for broadcasts and the whispers that matter (a payout, a
// gift request). A whisper that carries only a pool change (an enrollment or a rename,
// which a hype burst produces by the hundred) gets the rest or is dropped — its panel
// shows the change at its next read — rather than queueing into 429s for many minutes.
// Only the lease holder pushes (Panel.Sending), so the minute is one per deployment.
type PushBudget struct {
	PerMinute        int
	BroadcastReserve int
	WhisperReserve   int
}

// DefaultPushBudget: 80 of Twitch's 100, leaving room for a lease handover (the new
// holder does not know what the old one sent this minute) and for the difference
// between Twitch's bucket and this sliding minute; 20 kept for broadcasts (the plan
// sends a few per spin cycle), 20 more for payout and gift whispers, 40 for pool-only
// whispers.
var DefaultPushBudget = PushBudget{PerMinute: 80, BroadcastReserve: 20, WhisperReserve: 20}

// pushClass is what a push may use of the budget.
type pushClass int

const (
	classBroadcast pushClass = iota // the whole minute
	classWhisper                    // all but BroadcastReserve
	classPool                       // all but BroadcastReserve and WhisperReserve
)

// pushWindow is the sends of the last minute.
type pushWindow struct {
	mu    sync.Mutex
	times []time.Time
}

// take records a send at now when class may still send this minute; otherwise it says
// when the oldest send leaves the minute.
func (w *pushWindow) take(b PushBudget, class pushClass, now time.Time) (ok bool, retry time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := w.times[:0]
	for _, t := range w.times {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	w.times = keep
	limit := b.PerMinute
	switch class {
	case classWhisper:
		limit -= b.BroadcastReserve
	case classPool:
		limit -= b.BroadcastReserve + b.WhisperReserve
	}
	if len(w.times) < limit {
		w.times = append(w.times, now)
		return true, 0
	}
	if len(w.times) == 0 {
		return false, time.Minute
	}
	return false, w.times[0].Add(time.Minute).Sub(now)
}

// give takes back a send recorded at at that Twitch did not accept.
func (w *pushWindow) give(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, t := range w.times {
		if t.Equal(at) {
			w.times = append(w.times[:i], w.times[i+1:]...)
			return
		}
	}
}

func (p *Panel) budget() PushBudget {
	if p.Budget.PerMinute <= 0 {
		return DefaultPushBudget
	}
	return p.Budget
}

// errNoShare: a pool-only whisper found its share of the minute used up.
var errNoShare = errs.E(errs.RateLimited, "extension pubsub: the pool whispers' share of this minute is used up")

// Sending says whether this replica pushes: the lease holder does, the others leave the
// whisper consumers alone so one deployment spends one channel minute.
func (p *Panel) Sending() bool { return p.Leader.Holds() }

// rateGate holds every push back until Twitch's Ratelimit-Reset after a 429, so a
// refused message is retried, not lost, and the channel's budget refills
// (https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits).
type rateGate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *rateGate) closedUntil(now time.Time) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until, now.Before(g.until)
}

func (g *rateGate) close(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.until) {
		g.until = until
	}
}

// maxRateWait caps a wait for Ratelimit-Reset (Twitch's window is a minute).
const maxRateWait = 70 * time.Second

// send is one push through the gate and the budget. A 429 closes the gate until
// Twitch's reset; a push with no room left in its share of the minute waits
// (errs.Later) or, for a pool-only whisper, is refused with errNoShare.
func (p *Panel) send(ctx context.Context, class pushClass, target, msg string) error {
	now := p.Now()
	if until, closed := p.limit.closedUntil(now); closed {
		return errs.Later(until.Sub(now), errs.E(errs.RateLimited, "extension pubsub: waiting for the rate limit to reset"))
	}
	ok, wait := p.window.take(p.budget(), class, now)
	if !ok {
		if class == classPool {
			return errNoShare
		}
		return errs.Later(wait, errs.E(errs.RateLimited, "extension pubsub: this minute's pushes are used up"))
	}
	err := p.PubSub.Send(ctx, p.BroadcasterID, target, msg)
	if err == nil {
		return nil
	}
	if !errs.Has(err, errs.RateLimited) {
		p.window.give(now) // refused or lost before Twitch counted it (a 429 counts)
	}
	if errs.Has(err, errs.RateLimited) {
		p.Metrics.RateLimited.Inc()
		wait := p.RateWait
		if wait <= 0 {
			wait = 10 * time.Second
		}
		until := now.Add(wait)
		if reset, ok := helix.RateLimitReset(err); ok && reset.After(now) {
			until = reset
		}
		if until.Sub(now) > maxRateWait {
			until = now.Add(maxRateWait)
		}
		p.limit.close(until)
		return errs.Later(until.Sub(now), err)
	}
	return err
}

// Whisper sends one viewer the parts of their own state that changed. A viewer whose
// opaque id is unknown is skipped (their panel reads its routes when it opens).
// Temporary failures come back as errs.Later for the consumer to retry.
func (p *Panel) Whisper(ctx context.Context, twitchUserID string, occurred time.Time, push domain.ViewerPush) error {
	if p.MaxEventAge > 0 && !occurred.IsZero() && p.Now().Sub(occurred) > p.MaxEventAge {
		return nil
	}
	opaque, ok, err := p.Viewers.OpaqueID(ctx, twitchUserID)
	if err != nil {
		return errs.Later(2*time.Second, err)
	}
	if !ok {
		p.Metrics.Unlinked.Inc()
		return nil
	}
	msg, err := domain.EncodeViewerPush(push)
	if err != nil {
		return err
	}
	class := classWhisper
	if push.Payout == nil && push.Gift == nil {
		class = classPool
	}
	err = p.send(ctx, class, "whisper-"+opaque, string(msg))
	switch {
	case err == nil:
		p.Metrics.Whispers.Inc()
		return nil
	case errors.Is(err, errNoShare):
		p.Metrics.Dropped.Inc()
		for v := push.Pool.Version; ; {
			old := p.poolDropped.Load()
			if v <= old || p.poolDropped.CompareAndSwap(old, v) {
				break
			}
		}
		return nil
	case errs.Has(err, errs.RateLimited):
		return err // already a Later until the reset
	case errs.Temporary(errs.CodeOf(err)):
		p.Metrics.Failed.Inc()
		return errs.Later(5*time.Second, err)
	default:
		// Refused for good (the body or the JWT): retrying sends the same. The panel
		// still reads its routes when it opens.
		p.Metrics.Failed.Inc()
		p.Log.Warn("panel whisper refused by Twitch", zap.Error(err))
		return nil
	}
}

// RunBroadcasts broadcasts the shared state until ctx ends, on the replica that holds
// the lease: at once for a draw or an outcome, coalesced for the pool size and the gift
// queue, and a heartbeat after a boundary that brought nothing (domain.BroadcastPlan).
func (p *Panel) RunBroadcasts(ctx context.Context) error {
	var last *domain.Sent
	var retryAt time.Time
	backoff := time.Duration(0)
	t := time.NewTicker(p.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		// The state is in memory, so it is looked at every tick: a draw must not wait
		// for the plan's next wake-up.
		// The lease is renewed at every tick, a broadcast waiting for its retry
		// included: the whisper consumers push only while it is held (Sending).
		now := p.Now()
		lead, err := p.Leader.Lead(ctx)
		if err != nil || !lead {
			last = nil // a new leader starts with a full broadcast
			continue
		}
		if now.Before(retryAt) {
			continue
		}
		st, ok, err := p.Shared.State(ctx)
		if err != nil || !ok {
			continue
		}
		st.PoolResync = p.poolDropped.Load()
		if send, _ := p.Plan.Next(now, st.Key(), last); !send {
			continue
		}
		if err := p.broadcast(ctx, st); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			backoff = nextBackoff(backoff)
			if d, ok := errs.LaterDelay(err); ok && d > backoff {
				backoff = d
			}
			retryAt = now.Add(backoff)
			p.Log.Warn("panel broadcast failed; retrying", zap.Duration("in", backoff), zap.Error(err))
			continue
		}
		last = &domain.Sent{At: now, Key: st.Key()}
		backoff = 0
	}
}

func nextBackoff(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return time.Second
	case d >= 30*time.Second:
		return 30 * time.Second
	default:
		return d * 2
	}
}

func (p *Panel) broadcast(ctx context.Context, st domain.PanelState) error {
	v, err := p.Versions.Next(ctx)
	if err != nil {
		return err
	}
	msg, err := domain.EncodeStatePush(v, st)
	if err != nil {
		return err
	}
	if err := p.send(ctx, classBroadcast, "broadcast", string(msg)); err != nil {
		if !errs.Has(err, errs.RateLimited) {
			p.Metrics.Failed.Inc()
		}
		return err
	}
	p.Metrics.Broadcasts.Inc()
	return nil
}
