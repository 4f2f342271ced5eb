package service

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/gateway/auth"
)

// viewerDirectory records which Extension opaque id belongs to which Twitch user, so
// helix-notifier can whisper a viewer their own changes (Extension PubSub target
// whisper-<opaque_user_id>, docs/product.md §6 "Pushing to the panel").
//
// Privacy: the link is learned only from a token Twitch signed with both ids, which
// Twitch issues only after the viewer chose to share their identity with the extension
// (https://dev.twitch.tv/docs/extensions/reference/#jwt-schema, user_id). It is kept
// in events.ViewersBucket for natsx.ViewersTTL after the viewer's panel last called the
// backend, used for nothing but whispers to that viewer, never shown to anyone, and
// forgotten as soon as a token arrives for the same opaque id without user_id (the
// viewer revoked the share). Viewers who never share are never linked; logged-out
// viewers ("A…" ids) have no stable id to link.
type viewerDirectory struct {
	js  jetstream.JetStream
	log *zap.Logger
	now func() time.Time

	mu   sync.Mutex
	seen map[string]seenViewer // opaque id → what was last written
	jobs chan viewerJob
}

type seenViewer struct {
	userID string // "" once forgotten
	at     time.Time
}

type viewerJob struct {
	opaqueID, userID string // userID "" forgets opaqueID
}

// Bounds: a write at most hourly per viewer; memory for this many viewers; a burst
// of new viewers beyond the queue is written on their next call instead.
const (
	viewerRewriteAfter = time.Hour
	viewerSeenMax      = 200_000
	viewerQueue        = 1024
)

func newViewerDirectory(js jetstream.JetStream, log *zap.Logger, now func() time.Time) *viewerDirectory {
	return &viewerDirectory{js: js, log: log, now: now, seen: map[string]seenViewer{}, jobs: make(chan viewerJob, viewerQueue)}
}

// validKeyPart is what a Twitch id may be to become part of a KV key (digits for user
// ids, letters and digits for opaque ids).
func validKeyPart(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Seen notes a verified viewer. It never blocks a request: the write happens in Run.
func (d *viewerDirectory) Seen(v auth.Viewer) {
	// Only logged-in viewers ("U…") have an opaque id that stays theirs.
	if !strings.HasPrefix(v.OpaqueUserID, "U") || !validKeyPart(v.OpaqueUserID) || (v.UserID != "" && !validKeyPart(v.UserID)) {
		return
	}
	now := d.now()
	d.mu.Lock()
	prev, ok := d.seen[v.OpaqueUserID]
	if ok && prev.userID == v.UserID && (v.UserID == "" || now.Sub(prev.at) < viewerRewriteAfter) {
		d.mu.Unlock()
		return
	}
	// A viewer without user_id this gateway has not seen yet gets one job too: a link
	// another replica (or an earlier run) stored may still have to go.
	if len(d.seen) >= viewerSeenMax {
		for k := range d.seen {
			delete(d.seen, k)
			if len(d.seen) < viewerSeenMax*3/4 {
				break
			}
		}
	}
	d.seen[v.OpaqueUserID] = seenViewer{userID: v.UserID, at: now}
	d.mu.Unlock()
	select {
	case d.jobs <- viewerJob{opaqueID: v.OpaqueUserID, userID: v.UserID}:
	default:
		d.mu.Lock()
		delete(d.seen, v.OpaqueUserID) // try again on the viewer's next call
		d.mu.Unlock()
	}
}

// Run writes the directory until ctx ends.
func (d *viewerDirectory) Run(ctx context.Context) error {
	var kv jetstream.KeyValue
	for {
		select {
		case <-ctx.Done():
			return nil
		case j := <-d.jobs:
			if kv == nil {
				b, err := natsx.ViewersBucket(ctx, d.js)
				if err != nil {
					d.log.Warn("viewer directory unavailable", zap.Error(err))
					d.forget(j.opaqueID)
					continue
				}
				kv = b
			}
			if err := d.apply(ctx, kv, j); err != nil {
				d.log.Warn("viewer directory write failed", zap.Error(err))
				d.forget(j.opaqueID)
			}
		}
	}
}

func (d *viewerDirectory) forget(opaqueID string) {
	d.mu.Lock()
	delete(d.seen, opaqueID)
	d.mu.Unlock()
}

func (d *viewerDirectory) apply(ctx context.Context, kv jetstream.KeyValue, j viewerJob) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if j.userID != "" {
		if _, err := kv.PutString(ctx, "u."+j.userID, j.opaqueID); err != nil {
			return err
		}
		_, err := kv.PutString(ctx, "o."+j.opaqueID, j.userID)
		return err
	}
	// A token without user_id for this opaque id: the viewer does not share (any more).
	e, err := kv.Get(ctx, "o."+j.opaqueID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := kv.Delete(ctx, "o."+j.opaqueID); err != nil {
		return err
	}
	return kv.Delete(ctx, "u."+string(e.Value()))
}
