package adapters

// What the panel pusher (app.Panel) reads and holds outside itself: the viewer
// directory the gateway writes, the broadcast lease and version counter in
// events.PanelBucket, and the shared state — pkg/sharedstate over the same MGM_STATE
// documents the gateway's state route reads, so the route and the push can never
// disagree — with the gift queue's order from the gift-queue service.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	mgmdomain "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/sharedstate"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// Viewers reads events.ViewersBucket.
type Viewers struct {
	JS jetstream.JetStream

	once sync.Mutex
	kv   jetstream.KeyValue
}

func (v *Viewers) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	v.once.Lock()
	defer v.once.Unlock()
	if v.kv != nil {
		return v.kv, nil
	}
	kv, err := natsx.ViewersBucket(ctx, v.JS)
	if err != nil {
		return nil, err
	}
	v.kv = kv
	return kv, nil
}

// OpaqueID is the opaque id the viewer's panel listens under, if they shared their
// identity recently enough to be in the directory.
func (v *Viewers) OpaqueID(ctx context.Context, twitchUserID string) (string, bool, error) {
	kv, err := v.bucket(ctx)
	if err != nil {
		return "", false, err
	}
	e, err := kv.Get(ctx, "u."+twitchUserID)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("viewer directory: %w", err)
	}
	return string(e.Value()), true, nil
}

// Lease is the broadcast lease: the key "broadcaster" in events.PanelBucket, created
// by one replica and renewed while it lives (the bucket's TTL drops it when it stops).
type Lease struct {
	JS     jetstream.JetStream
	Worker string
	Now    func() time.Time
	// Renew is how often the holder writes the lease again (well under the TTL).
	Renew time.Duration

	mu      sync.Mutex
	kv      jetstream.KeyValue
	rev     uint64
	renewed time.Time
}

const leaseKey = "broadcaster"

// Holds reports whether the last renewal (by Lead) is recent enough that nobody can
// have taken the lease since: another replica only gets it once the bucket's TTL
// (natsx.PanelLeaseTTL) has passed without a renewal; two renewal periods, well under
// that TTL, are trusted.
func (l *Lease) Holds() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev != 0 && l.Now().Sub(l.renewed) < 2*l.Renew
}

// Lead takes or renews the lease and says whether this replica holds it.
func (l *Lease) Lead(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kv == nil {
		kv, err := natsx.PanelBucket(ctx, l.JS)
		if err != nil {
			return false, err
		}
		l.kv = kv
	}
	now := l.Now()
	if l.rev != 0 && now.Sub(l.renewed) < l.Renew {
		return true, nil
	}
	if l.rev != 0 {
		rev, err := l.kv.Update(ctx, leaseKey, []byte(l.Worker), l.rev)
		if err == nil {
			l.rev, l.renewed = rev, now
			return true, nil
		}
		l.rev = 0 // lost it (expired and taken, or the server forgot it)
	}
	rev, err := l.kv.Create(ctx, leaseKey, []byte(l.Worker))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil
		}
		return false, err
	}
	l.rev, l.renewed = rev, now
	return true, nil
}

// Versions hands out broadcast versions: the revision of a write to the key
// "version" in events.PanelBucket, which only grows, whichever replica writes.
type Versions struct {
	JS jetstream.JetStream

	mu sync.Mutex
	kv jetstream.KeyValue
}

// Next is a version greater than every one handed out before.
func (v *Versions) Next(ctx context.Context) (int64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kv == nil {
		kv, err := natsx.PanelBucket(ctx, v.JS)
		if err != nil {
			return 0, err
		}
		v.kv = kv
	}
	rev, err := v.kv.Put(ctx, "version", nil)
	if err != nil {
		return 0, fmt.Errorf("panel version: %w", err)
	}
	return int64(rev), nil
}

// SharedState is the shared state from a sharedstate.View (fed by Watch) and the
// gift queue's order, read again from the gift-queue service after every gift change.
type SharedState struct {
	View          *sharedstate.View
	NC            *nats.Conn
	BroadcasterID string
	Interval      time.Duration
	Now           func() time.Time
	RPCTimeout    time.Duration
	Log           *zap.Logger

	giftDirty atomic.Bool
	mu        sync.Mutex
	giftOrder []string
	giftRead  bool
}

// Watch keeps the view current and notes gift changes until ctx ends.
func (s *SharedState) Watch(ctx context.Context, js jetstream.JetStream) error {
	sub, err := s.NC.Subscribe(events.GiftRequestChanged, func(*nats.Msg) { s.giftDirty.Store(true) })
	if err != nil {
		return fmt.Errorf("panel: watch gift changes: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	s.View.Watch(ctx, js, s.Log)
	return nil
}

// State is the shared state now, with the moment "spinning" ends and the gift order.
func (s *SharedState) State(ctx context.Context) (domain.PanelState, bool, error) {
	if !s.View.Live() {
		return domain.PanelState{}, false, nil
	}
	now := s.Now()
	st := s.View.Now()
	ps := panelState(st)
	if st.SpinPhase == mgmdomain.PhaseSpinning {
		// Spinning is the first SpinningFor after the boundary the cycle drew at.
		iv := time.Duration(st.SpinIntervalSeconds) * time.Second
		until := mgmdomain.BoundaryAtOrBefore(now, iv).Add(mgmdomain.SpinningFor).UTC()
		ps.SpinningUntil = &until
	}
	order, err := s.gifts(ctx)
	if err != nil {
		// The queue's order is a convenience (panels also get their place by whisper);
		// the broadcast goes out with the order last known.
		s.Log.Debug("gift queue order unavailable", zap.Error(err))
	}
	ps.GiftOrder = order
	return ps, true, nil
}

// panelState is the route's body in the push's own type (the notifier's domain holds no
// wire type); the broadcast carries it field for field (TestPanelState_IsTheRoutesBody).
func panelState(st sharedstate.State) domain.PanelState {
	ps := domain.PanelState{
		NextSpinAt: st.NextSpinAt, ServerNow: st.ServerNow, SpinIntervalSeconds: st.SpinIntervalSeconds,
		PoolParticipantCount: st.PoolParticipantCount, SpinPhase: st.SpinPhase, CurrentSpinCycleID: st.CurrentSpinCycleID,
	}
	if st.LastSpin != nil {
		ps.LastSpin = &domain.LastSpin{SpinCycleID: st.LastSpin.SpinCycleID, Outcome: st.LastSpin.Outcome, CharacterName: st.LastSpin.CharacterName}
	}
	return ps
}

func (s *SharedState) gifts(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.giftRead && !s.giftDirty.Load() {
		return s.giftOrder, nil
	}
	s.giftDirty.Store(false)
	ctx, cancel := context.WithTimeout(ctx, s.RPCTimeout)
	defer cancel()
	var list []events.GiftRequest
	if err := natsx.Call(ctx, s.NC, events.RPCGiftList, events.GiftListRequest{StreamerID: s.BroadcasterID}, &list); err != nil {
		s.giftDirty.Store(true)
		return s.giftOrder, fmt.Errorf("panel: gift queue: %w", err)
	}
	order := make([]string, 0, len(list))
	for _, r := range list {
		order = append(order, r.ID)
	}
	s.giftOrder, s.giftRead = order, true
	return order, nil
}

// GiftView reads one viewer's gift request as the panel shows it (with the place in
// the queue) from the gift-queue service.
type GiftView struct {
	NC            *nats.Conn
	BroadcasterID string
	RPCTimeout    time.Duration
}

// Mine is the viewer's latest gift request, nil when none.
func (g GiftView) Mine(ctx context.Context, twitchUserID string) (*events.GiftViewerRequest, error) {
	ctx, cancel := context.WithTimeout(ctx, g.RPCTimeout)
	defer cancel()
	var snap events.GiftQueueSnapshot
	if err := natsx.Call(ctx, g.NC, events.RPCGiftQueue, events.GiftQueueRequest{StreamerID: g.BroadcasterID, TwitchUserID: twitchUserID}, &snap); err != nil {
		return nil, err
	}
	return snap.MyRequest, nil
}
