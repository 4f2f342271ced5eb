package domain

// The push to the viewers' panels (docs/product.md §6, "Pushing to the panel"): which
// changes are sent with Extension PubSub, when, and in what shape. Twitch limits a
// channel to 100 messages a minute and 5 KB a message
// (https://dev.twitch.tv/docs/api/reference/#send-extension-pubsub-message); the
// product asks for a few messages per spin cycle at most.

import (
	"encoding/json"
	"strings"
	"time"

	mgmdomain "github.com/mimiron/mgm/pkg/domain"
)

// PushSchema is the schema of every push; the panel reads the routes again when it
// meets one it does not know (extension/src/push.ts).
const PushSchema = 1

// MaxPushBytes is the largest message sent: Twitch's "5 KB", read as 5,000 bytes.
const MaxPushBytes = 5000

// LastSpin is the latest cycle with an outcome, as the state route shows it.
type LastSpin struct {
	SpinCycleID   string  `json:"spinCycleId"`
	Outcome       string  `json:"outcome"`
	CharacterName *string `json:"characterName"`
}

// PanelState is the shared state a broadcast carries: the body of GET
// /api/roulette/state, plus SpinningUntil (so "spinning" turns into "verification" on
// the panel's clock without another message) and GiftOrder (the gift requests being
// served or waiting, in order, so each viewer finds their own place).
type PanelState struct {
	NextSpinAt           time.Time  `json:"nextSpinAt"`
	ServerNow            time.Time  `json:"serverNow"`
	SpinIntervalSeconds  int        `json:"spinIntervalSeconds"`
	PoolParticipantCount int        `json:"poolParticipantCount"`
	SpinPhase            string     `json:"spinPhase"`
	CurrentSpinCycleID   string     `json:"currentSpinCycleId"`
	LastSpin             *LastSpin  `json:"lastSpin"`
	SpinningUntil        *time.Time `json:"spinningUntil,omitempty"`
	GiftOrder            []string   `json:"giftOrder,omitempty"`
	// PoolResync is the stream sequence of the newest pool change whose whisper was
	// dropped (app.PushBudget): a panel that has applied nothing of its own pool as
	// recent reads its own routes once, at a random moment of the next minute, so a
	// dropped whisper costs a delay, never a wrong panel. Zero: none dropped.
	PoolResync uint64 `json:"poolResync,omitempty"`
}

// PanelKey is what a viewer would see change. The urgent part (the cycle, whether it
// drew, its outcome) is pushed at once; the lazy part (pool size, gift queue) is
// coalesced. "spinning" and "verification" are one key: the panel's clock moves
// between them.
type PanelKey struct {
	CycleID   string
	Drawn     bool
	Outcome   string
	LastSpin  string
	PoolSize  int
	GiftOrder string
	// PoolResync is lazy like the pool size: it rides the coalesced broadcasts.
	PoolResync uint64
}

// Key is the PanelKey of s.
func (s PanelState) Key() PanelKey {
	k := PanelKey{CycleID: s.CurrentSpinCycleID, PoolSize: s.PoolParticipantCount, GiftOrder: strings.Join(s.GiftOrder, ","), PoolResync: s.PoolResync}
	switch s.SpinPhase {
	case mgmdomain.PhaseSpinning, mgmdomain.PhaseVerification:
		k.Drawn = true
	case mgmdomain.PhaseCompleted:
		k.Drawn, k.Outcome = true, "completed"
	}
	if s.LastSpin != nil {
		k.LastSpin = s.LastSpin.SpinCycleID + "/" + s.LastSpin.Outcome
	}
	return k
}

func (k PanelKey) urgent(o PanelKey) bool {
	return k.CycleID != o.CycleID || k.Drawn != o.Drawn || k.Outcome != o.Outcome || k.LastSpin != o.LastSpin
}

// BroadcastPlan decides when the shared state is broadcast.
type BroadcastPlan struct {
	// Interval is the spin interval; the gaps below scale with it.
	Interval time.Duration
	// HeartbeatDelay: a boundary that brought no broadcast by this long after it gets
	// one anyway, so panels can tell pushes are alive (the panel waits 30 s past the
	// boundary before it falls back to polling).
	HeartbeatDelay time.Duration
}

// LazyGap is the least time between a broadcast and one that only updates the pool
// size or the gift queue: a third of a cycle, so such updates add at most two
// messages per cycle to the draw and its outcome.
func (p BroadcastPlan) LazyGap() time.Duration { return p.Interval / 3 }

// Sent is the last broadcast.
type Sent struct {
	At  time.Time
	Key PanelKey
}

// Next says whether to broadcast cur now (last is nil before the first broadcast),
// and otherwise when to ask again.
func (p BroadcastPlan) Next(now time.Time, cur PanelKey, last *Sent) (send bool, wakeAt time.Time) {
	if last == nil || cur.urgent(last.Key) {
		return true, time.Time{}
	}
	b := mgmdomain.BoundaryAtOrBefore(now, p.Interval)
	beat := b.Add(p.HeartbeatDelay)
	if last.At.Before(b) {
		if !now.Before(beat) {
			return true, time.Time{}
		}
		return false, beat
	}
	nextBeat := b.Add(p.Interval).Add(p.HeartbeatDelay)
	if cur != last.Key {
		lazy := last.At.Add(p.LazyGap())
		if !now.Before(lazy) {
			return true, time.Time{}
		}
		if lazy.Before(nextBeat) {
			return false, lazy
		}
	}
	return false, nextBeat
}

// StatePush is the broadcast message.
type StatePush struct {
	Schema  int        `json:"schema"`
	Kind    string     `json:"kind"`
	Version int64      `json:"version"`
	State   PanelState `json:"state"`
}

// EncodeStatePush encodes the broadcast, leaving the tail of a very long gift queue
// out to stay within MaxPushBytes (those viewers' places come from their whispers and
// their own reads).
func EncodeStatePush(version int64, s PanelState) ([]byte, error) {
	for {
		b, err := json.Marshal(StatePush{Schema: PushSchema, Kind: "state", Version: version, State: s})
		if err != nil || len(b) <= MaxPushBytes || len(s.GiftOrder) == 0 {
			return b, err
		}
		s.GiftOrder = s.GiftOrder[:len(s.GiftOrder)/2]
	}
}

// Part is one part of a viewer's own state with the version of its source (the stream
// sequence of the event it comes from), so the panel orders parts independently.
type Part struct {
	Version uint64 `json:"version"`
	Value   any    `json:"value"`
}

// PoolPart is the viewer's enrollment, as GET /api/pool/me shows it.
type PoolPart struct {
	IsEnrolled    bool    `json:"isEnrolled"`
	CharacterName *string `json:"characterName"`
}

// ViewerPush is a whisper to one viewer: the parts that changed.
type ViewerPush struct {
	Schema  int    `json:"schema"`
	Kind    string `json:"kind"`
	Version uint64 `json:"version"`
	Pool    *Part  `json:"pool,omitempty"`
	Payout  *Part  `json:"payout,omitempty"`
	Gift    *Part  `json:"gift,omitempty"`
}

// EncodeViewerPush encodes a whisper; one that would not fit becomes a resync request
// (the panel then reads its routes).
func EncodeViewerPush(p ViewerPush) ([]byte, error) {
	p.Schema, p.Kind = PushSchema, "viewer"
	b, err := json.Marshal(p)
	if err != nil || len(b) <= MaxPushBytes {
		return b, err
	}
	return json.Marshal(map[string]any{"schema": PushSchema, "kind": "resync", "version": p.Version})
}
