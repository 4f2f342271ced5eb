// Package app holds the gift queue's use cases: create (chat and panel), the Desktop's
// moves (status, item list, item choice, consent), the timeout sweep and the queries.
// Rules are the domain's (domain.Queue); transactions the repository's; wire types the
// ports'.
package app

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/gift-queue/domain"
)

// Key is an idempotency key of a create.
type Key struct {
	Key string
	// RememberRefusal records a refusal under the key too, so the same key is never
	// tried again (chat message ids); otherwise a refused key may be retried.
	RememberRefusal bool
}

// CreateResult is what a repository's Create did.
type CreateResult struct {
	Queue   *domain.Queue
	Request *domain.Request // nil for a repeated key that was refused the first time
	Replay  bool            // the key was handled before
	Refusal error           // the first handling's refusal (replays of refused keys)
}

// Repository is the gift request repository (adapters.Postgres). Create and Update
// run the domain's decision on the streamer's locked queue and store the changes and
// their events in the same transaction.
type Repository interface {
	Create(ctx context.Context, streamerID, twitchUserID string, key Key,
		decide func(q *domain.Queue, used bool) (*domain.Request, error)) (CreateResult, error)
	Update(ctx context.Context, streamerID, id string, fn func(q *domain.Queue, r *domain.Request) error) (*domain.Request, *domain.Queue, error)
	Attention(ctx context.Context, now time.Time) ([]string, error)
	Sweep(ctx context.Context, streamerID string, fn func(q *domain.Queue)) ([]domain.Change, error)
	Open(ctx context.Context, streamerID string) ([]*domain.Request, error)
	LatestOf(ctx context.Context, streamerID, twitchUserID string) (*domain.Request, error)
	Used(ctx context.Context, streamerID, twitchUserID string) (bool, error)
}

// Service is the set of gift queue use cases.
type Service struct {
	Store Repository
	// Streamer is the deployment's broadcaster (TWITCH_BROADCASTER_ID): the queue used
	// when a request names none, and the only channel chat is accepted from when set.
	Streamer string
	Policy   domain.ChatPolicy
	Log      *zap.Logger
	Clock    func() time.Time
	// Committed (may be nil) is called after every write that changed something, so the
	// relay publishes without waiting for its next poll.
	Committed func()
}

// idSpace names gift request ids derived from idempotency keys (UUIDv5).
var idSpace = uuid.MustParse("7d1c5a2e-3f4b-5c6d-8e9f-a0b1c2d3e4f5")

func (a *Service) now() time.Time {
	c := a.Clock
	if c == nil {
		c = time.Now
	}
	return c().UTC().Truncate(time.Microsecond)
}

func (a *Service) log() *zap.Logger {
	if a.Log == nil {
		return zap.NewNop()
	}
	return a.Log
}

func (a *Service) committed() {
	if a.Committed != nil {
		a.Committed()
	}
}

func (a *Service) streamer(s string) (string, error) {
	if s = strings.TrimSpace(s); s == "" {
		s = a.Streamer
	}
	if s == "" {
		return "", errs.E(errs.Invalid, "streamerId is required").WithDetails(map[string]any{"field": "streamerId"})
	}
	return s, nil
}

// CreateRequest is POST /api/gift-requests after the gateway checked identity and
// subscription. RequestID (optional) makes the call idempotent per viewer.
type CreateRequest struct {
	StreamerID    string
	TwitchUserID  string
	DisplayName   string
	CharacterName string
	RequestID     string
}

// ViewerRequest is a viewer's own request with its place in the queue: Position 1 for
// the request being served, 2 for the next, …; 0 once terminal.
type ViewerRequest struct {
	Request  *domain.Request
	Position int
	ETA      time.Duration
	Replay   bool // Create only: this requestId was already handled
}

func viewerRequest(q *domain.Queue, r *domain.Request) ViewerRequest {
	pos := q.Position(r)
	return ViewerRequest{Request: r, Position: pos, ETA: domain.ETA(pos)}
}

// Create is POST /api/gift-requests (identity and subscription checked by the
// gateway). With a requestId the call is idempotent per viewer: a repeat answers the
// request created the first time with Replay set, whatever name it carries.
func (a *Service) Create(ctx context.Context, req CreateRequest) (ViewerRequest, error) {
	streamer, err := a.streamer(req.StreamerID)
	if err != nil {
		return ViewerRequest{}, err
	}
	if strings.TrimSpace(req.TwitchUserID) == "" {
		return ViewerRequest{}, errs.E(errs.Invalid, "twitchUserId is required")
	}
	name, err := shared.ParseCharacterName(req.CharacterName)
	if err != nil {
		return ViewerRequest{}, err
	}
	key, id := Key{}, uuid.NewString()
	if req.RequestID != "" {
		key.Key = "api:" + streamer + ":" + req.TwitchUserID + ":" + req.RequestID
		id = uuid.NewSHA1(idSpace, []byte(key.Key)).String()
	}
	now := a.now()
	res, err := a.Store.Create(ctx, streamer, req.TwitchUserID, key, func(q *domain.Queue, used bool) (*domain.Request, error) {
		return q.Create(domain.NewRequest{
			ID: id, TwitchUserID: req.TwitchUserID, TwitchDisplayName: req.DisplayName,
			CharacterName: name.String(), Source: shared.GiftSourceAPI, RequestID: req.RequestID,
		}, used, now)
	})
	if err != nil {
		return ViewerRequest{}, err
	}
	if res.Refusal != nil {
		return ViewerRequest{}, res.Refusal
	}
	if !res.Replay {
		a.committed()
	}
	out := viewerRequest(res.Queue, res.Request)
	out.Replay = res.Replay
	return out, nil
}

// Chat handles a `!twgift <Name>` message: the pool's chat rules (channel, Shared Chat,
// badges, command shape, name), then a request keyed by the chat message_id, so a
// repeated message_id is ignored even when the first one was refused. Ignored and
// refused messages are logged, not errors: only storage failures are returned (and
// retried by the consumer).
func (a *Service) Chat(ctx context.Context, c shared.ChatMessage) error {
	if c.MessageID == "" || c.UserID == "" {
		return errs.E(errs.Invalid, "chat command without message id or user id")
	}
	log := a.log().With(zap.String("messageId", c.MessageID), zap.String("twitchUserId", c.UserID))
	name, ignore, problem := a.Policy.Screen(c)
	if ignore != "" {
		switch ignore {
		case domain.IgnoreNotSubscriber:
			log.Info("gift request ignored: not a subscriber", zap.Strings("badges", c.Badges))
		case domain.IgnoreBadName:
			log.Info("gift request refused", zap.String("code", ignore), zap.String("reason", string(problem)),
				zap.String("message", problem.Message()), zap.String("messageRu", problem.MessageRu()))
		default:
			log.Debug("gift chat message ignored", zap.String("reason", ignore))
		}
		return nil
	}
	key := Key{Key: "chat:" + c.MessageID, RememberRefusal: true}
	id := uuid.NewSHA1(idSpace, []byte(key.Key)).String()
	now := a.now()
	res, err := a.Store.Create(ctx, c.BroadcasterUserID, c.UserID, key, func(q *domain.Queue, used bool) (*domain.Request, error) {
		return q.Create(domain.NewRequest{
			ID: id, TwitchUserID: c.UserID, TwitchDisplayName: c.DisplayName(),
			CharacterName: name, Source: shared.GiftSourceChat,
		}, used, now)
	})
	switch {
	case err != nil && errs.Temporary(errs.CodeOf(err)):
		return err
	case errs.Has(err, errs.Conflict):
		// A concurrent writer won a race the lock should have prevented: try again.
		return errs.Wrap(errs.Unavailable, err, "gift queue busy")
	case err != nil:
		log.Info("gift request refused", zap.String("code", string(errs.CodeOf(err))))
	case res.Replay:
		log.Debug("gift chat message ignored", zap.String("reason", "duplicate_message"))
	default:
		log.Info("gift request queued", zap.String("requestId", res.Request.ID), zap.String("status", string(res.Request.Status)))
		a.committed()
	}
	return nil
}

// QueueView is a streamer's queue as one viewer sees it.
type QueueView struct {
	StreamerID string
	Length     int             // the request being served + the pending ones
	Pending    int             // waiting behind the served one
	Active     *domain.Request // the request being served, nil when none
	Mine       *ViewerRequest  // the viewer's latest request, nil when none (or no viewer)
	GiftUsed   bool            // the viewer already received their gift
	Now        time.Time
}

// Queue is the viewer's view of a streamer's queue (twitchUserID "" when the viewer
// did not share identity).
func (a *Service) Queue(ctx context.Context, streamerID, twitchUserID string) (QueueView, error) {
	streamer, err := a.streamer(streamerID)
	if err != nil {
		return QueueView{}, err
	}
	open, err := a.Store.Open(ctx, streamer)
	if err != nil {
		return QueueView{}, err
	}
	q := &domain.Queue{StreamerID: streamer, Open: open}
	out := QueueView{StreamerID: streamer, Length: len(open), Pending: len(q.Pending()), Active: q.Active(), Now: a.now()}
	if twitchUserID != "" {
		mine, err := a.Store.LatestOf(ctx, streamer, twitchUserID)
		if err != nil {
			return QueueView{}, err
		}
		if mine != nil {
			v := viewerRequest(q, mine)
			out.Mine = &v
		}
		if out.GiftUsed, err = a.Store.Used(ctx, streamer, twitchUserID); err != nil {
			return QueueView{}, err
		}
	}
	return out, nil
}

// List is the Desktop's GET /api/gift-requests: the served request and the pending
// ones, oldest first. Without a streamer (none named, none configured) it is empty, so
// a probe answers on any configuration.
func (a *Service) List(ctx context.Context, streamerID string) ([]*domain.Request, error) {
	streamer, err := a.streamer(streamerID)
	if err != nil {
		return nil, nil
	}
	return a.Store.Open(ctx, streamer)
}

// UpdateRequest is PATCH /api/gift-requests/{id}: either a status change (Status,
// optional Reason) or the addon's item list (Items, from [MGM_ITEMS]).
type UpdateRequest struct {
	StreamerID string
	ID         string
	Status     string
	Reason     string
	Items      *[]domain.Item
}

// Update is PATCH /api/gift-requests/{id}: a status change or the addon's item list.
func (a *Service) Update(ctx context.Context, req UpdateRequest) (*domain.Request, error) {
	hasStatus := strings.TrimSpace(req.Status) != ""
	if hasStatus == (req.Items != nil) {
		return nil, errs.E(errs.Invalid, "send either status (with an optional reason) or items").
			WithDetails(map[string]any{"field": "status"})
	}
	if req.Items != nil {
		items := *req.Items
		if err := domain.CheckItems(items); err != nil {
			return nil, err
		}
		return a.update(ctx, req.StreamerID, req.ID, func(q *domain.Queue, r *domain.Request, now time.Time) error {
			return q.OfferItems(r, items, now)
		})
	}
	to, err := domain.ParseStatus(strings.TrimSpace(req.Status))
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.Reason)
	if len(reason) > 200 {
		return nil, errs.E(errs.Invalid, "reason is at most 200 bytes").WithDetails(map[string]any{"field": "reason"})
	}
	return a.update(ctx, req.StreamerID, req.ID, func(q *domain.Queue, r *domain.Request, now time.Time) error {
		return q.SetStatus(r, to, reason, now)
	})
}

// Select is POST /api/gift-requests/{id}/select-item.
func (a *Service) Select(ctx context.Context, streamerID, id string, sel domain.Selection) (*domain.Request, error) {
	sel.ItemName = strings.TrimSpace(sel.ItemName)
	return a.update(ctx, streamerID, id, func(q *domain.Queue, r *domain.Request, now time.Time) error {
		return q.SelectItem(r, sel, now)
	})
}

// Confirm is POST /api/gift-requests/{id}/confirm.
func (a *Service) Confirm(ctx context.Context, streamerID, id string, accepted bool) (*domain.Request, error) {
	return a.update(ctx, streamerID, id, func(q *domain.Queue, r *domain.Request, now time.Time) error {
		return q.Confirm(r, accepted, now)
	})
}

func (a *Service) update(ctx context.Context, streamerID, id string, fn func(q *domain.Queue, r *domain.Request, now time.Time) error) (*domain.Request, error) {
	streamer, err := a.streamer(streamerID)
	if err != nil {
		return nil, err
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return nil, errs.E(errs.NotFound, "gift request not found")
	}
	now := a.now()
	changed := false
	r, _, err := a.Store.Update(ctx, streamer, u.String(), func(q *domain.Queue, r *domain.Request) error {
		if err := fn(q, r, now); err != nil {
			return err
		}
		changed = len(q.Changes()) > 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	if changed {
		a.committed()
	}
	return r, nil
}

// Sweep fails served requests past their deadline and promotes the next ones, for
// every streamer that needs it; it reports how many requests changed. Replicas may
// sweep at once: a queue locked by another is skipped and looked at again next pass.
func (a *Service) Sweep(ctx context.Context) (int, error) {
	now := a.now()
	ids, err := a.Store.Attention(ctx, now)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, s := range ids {
		changes, err := a.Store.Sweep(ctx, s, func(q *domain.Queue) { q.Sweep(now) })
		if err != nil {
			return total, err
		}
		for _, c := range changes {
			a.log().Info("gift request swept", zap.String("requestId", c.After.ID),
				zap.String("from", string(c.From)), zap.String("to", string(c.To)), zap.String("reason", c.After.Reason))
		}
		total += len(changes)
	}
	if total > 0 {
		a.committed()
	}
	return total, nil
}
