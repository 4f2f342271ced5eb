// Package app holds the pool's use cases: enrollment from chat and from the claim route,
// the queries the gateway asks, the roulette's draw, and folding payout events into
// eligibility. Transactions belong to the repository; rules belong to domain.
package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/google/uuid"
	shared "github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"

	"github.com/mimiron/mgm/services/pool/domain"
)

// EnrollRequest is one enrollment attempt, from chat or from a claim.
type EnrollRequest struct {
	// Key makes the attempt idempotent ("chat:<message_id>", "claim:<user>:<id>"); a key
	// seen before changes nothing and answers Replay. "" disables the check.
	Key string
	// RememberRefusal records a refused attempt under Key, so a redelivered chat message
	// stays refused even if the name has been freed since. Claims leave it false: a
	// refused claim may be retried with the same id.
	RememberRefusal bool
	Member          domain.Member
	// EventID prefixes the ids of the events the change publishes, so a retried attempt
	// republishes the same ids and JetStream drops the copies.
	EventID string
	At      time.Time
}

// EnrollResult is what an enrollment did.
type EnrollResult struct {
	Change domain.Change
	// Replay: Key was handled before; nothing changed. ReplayName and ReplayOutcome are
	// what was recorded then (outcome "" for success, else the refusal code).
	Replay        bool
	ReplayName    string
	ReplayOutcome errs.Code
}

// EnrollOutcome is one request's share of a batch: its result or its refusal.
type EnrollOutcome struct {
	Result  EnrollResult
	Refusal error
}

// PayoutResult is what a payout event did.
type PayoutResult struct {
	Stale   bool           // an older or repeated version: nothing changed
	Removed *domain.Member // the member Sent removed from the pool
}

// Drawn is the outcome of a draw.
type Drawn struct {
	Member        *domain.Member // nil when nobody is eligible
	EligibleCount int64
	// EnrolledAt is when the drawn member's membership began: the payout refuses a win
	// when a payout was Sent since (the pool may draw before it has applied that Sent).
	EnrolledAt time.Time
}

// Repository is the pool's storage. Every changing method runs in one transaction that
// also writes the resulting events to the outbox and bumps the stats version.
type Repository interface {
	Enroll(ctx context.Context, req EnrollRequest) (EnrollResult, error)
	// EnrollBatch applies chat enrollments in one transaction, recording refusals; an
	// error means none was applied.
	EnrollBatch(ctx context.Context, reqs []EnrollRequest) ([]EnrollOutcome, error)
	ApplyPayout(ctx context.Context, f domain.PayoutFact) (PayoutResult, error)
	Member(ctx context.Context, twitchUserID string) (*domain.Member, error)
	Stats(ctx context.Context) (domain.Stats, error)
	// Draw picks one eligible member uniformly using random (uniform in [0, RandomLimit))
	// in one consistent snapshot. With a cycle id the result is recorded and a repeated
	// call answers the same.
	Draw(ctx context.Context, spinCycleID string, random func() (int64, error)) (Drawn, error)
}

// Service is the pool's use cases.
type Service struct {
	Repo   Repository
	Policy domain.ChatPolicy
	Log    *zap.Logger
	Now    func() time.Time
	// Changed is called after a committed change (wakes the outbox relay); may be nil.
	Changed func()
	// Random is uniform in [0, RandomLimit); nil means crypto/rand.
	Random func() (int64, error)
}

func (s *Service) changed() {
	if s.Changed != nil {
		s.Changed()
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// storage wraps a repository failure as temporary: the consumer retries it later and
// the gateway answers 503.
func storage(err error, op string) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return errs.Wrap(errs.Unavailable, err, "%s: pool storage unavailable", op)
}

// HandleChatBatch applies chat messages in order, all enrollments in one transaction.
// Ignored and refused messages are business outcomes: logged, nil (the message is
// acked). A message without ids is poison (invalid_payload). A storage failure fails
// every message that needed storage with a temporary error (retried later).
func (s *Service) HandleChatBatch(ctx context.Context, cmds []domain.ChatMessage) []error {
	out := make([]error, len(cmds))
	var (
		reqs  []EnrollRequest
		index []int
	)
	for i, c := range cmds {
		req, ok, err := s.chatRequest(c)
		if err != nil {
			out[i] = err
			continue
		}
		if ok {
			reqs = append(reqs, req)
			index = append(index, i)
		}
	}
	if len(reqs) == 0 {
		return out
	}
	outcomes, err := s.Repo.EnrollBatch(ctx, reqs)
	if err != nil {
		err = storage(err, "enroll")
		for _, i := range index {
			out[i] = err
		}
		return out
	}
	changed := false
	for k, o := range outcomes {
		c := cmds[index[k]]
		log := s.Log.With(zap.String("messageId", c.MessageID), zap.String("twitchUserId", c.UserID),
			zap.String("name", reqs[k].Member.CharacterName))
		switch {
		case o.Refusal != nil:
			log.Info("chat enrollment refused", zap.String("code", string(errs.CodeOf(o.Refusal))))
		case o.Result.Replay:
			log.Debug("chat message ignored", zap.String("reason", domain.IgnoreDuplicate))
		default:
			changed = changed || o.Result.Change.Kind != domain.Unchanged
			log.Debug("chat enrollment", zap.String("change", string(o.Result.Change.Kind)))
		}
	}
	if changed {
		s.changed()
	}
	return out
}

// chatRequest screens a chat message: ok=false when it is ignored or refused without
// touching storage (logged here).
func (s *Service) chatRequest(c domain.ChatMessage) (EnrollRequest, bool, error) {
	if c.MessageID == "" || c.UserID == "" {
		return EnrollRequest{}, false, errs.E(errs.Invalid, "chat command without message id or user id")
	}
	log := s.Log.With(zap.String("messageId", c.MessageID), zap.String("twitchUserId", c.UserID))
	raw, ignore := s.Policy.Screen(c)
	if ignore != "" {
		if ignore == domain.IgnoreNotSubscriber {
			log.Info("chat enrollment ignored: not a subscriber", zap.Strings("badges", c.Badges))
		} else {
			log.Debug("chat message ignored", zap.String("reason", ignore))
		}
		return EnrollRequest{}, false, nil
	}
	name, problem := shared.CheckCharacterName(raw)
	if problem != "" {
		// A name no WoW character can have (docs/product.md §2): say which rule, in the
		// game's words, so the streamer can tell the viewer.
		log.Info("chat enrollment refused", zap.String("code", string(errs.InvalidCharacterName)),
			zap.String("reason", string(problem)), zap.String("message", problem.Message()),
			zap.String("messageRu", problem.MessageRu()), zap.String("name", shared.Excerpt(raw, 64)))
		return EnrollRequest{}, false, nil
	}
	return EnrollRequest{
		Key:             "chat:" + c.MessageID,
		RememberRefusal: true,
		Member:          domain.Member{TwitchUserID: c.UserID, DisplayName: c.DisplayName(), CharacterName: name.String()},
		EventID:         "pool:chat:" + c.MessageID,
		At:              s.now(),
	}, true, nil
}

// ClaimRequest is POST /api/payouts/claim after the gateway checked identity and
// subscription.
type ClaimRequest struct {
	TwitchUserID  string
	DisplayName   string
	CharacterName string
	RequestID     string // enrollmentRequestId, optional
}

// ClaimResult is what a claim did: Created for a new enrollment, Replay for a repeat
// of the same request id (with the name recorded the first time).
type ClaimResult struct {
	CharacterName string
	Created       bool
	Replay        bool
}

// Claim is POST /api/payouts/claim after the gateway checked identity and subscription:
// the chat rules, idempotent per (user, enrollmentRequestId). The first call answers
// Created; a repeat answers the recorded name with Replay (whatever name it carries).
// Ids are scoped per user: another user's claim with the same id is a different claim.
// Refusals are not recorded, so a refused claim may be retried with the same id.
// Without an id the claim is applied every time (never a replay).
func (s *Service) Claim(ctx context.Context, req ClaimRequest) (ClaimResult, error) {
	if strings.TrimSpace(req.TwitchUserID) == "" {
		return ClaimResult{}, errs.E(errs.Invalid, "twitchUserId is required")
	}
	name, err := shared.ParseCharacterName(req.CharacterName)
	if err != nil {
		return ClaimResult{}, err
	}
	key, eventID := "", "pool:claim:"+req.TwitchUserID+":"+uuid.NewString()
	if req.RequestID != "" {
		key = "claim:" + req.TwitchUserID + ":" + req.RequestID
		eventID = "pool:" + key
	}
	res, err := s.Repo.Enroll(ctx, EnrollRequest{
		Key:     key,
		Member:  domain.Member{TwitchUserID: req.TwitchUserID, DisplayName: req.DisplayName, CharacterName: name.String()},
		EventID: eventID,
		At:      s.now(),
	})
	if err != nil {
		return ClaimResult{}, storage(err, "claim")
	}
	if res.Replay {
		return ClaimResult{CharacterName: res.ReplayName, Replay: true}, nil
	}
	s.changed()
	return ClaimResult{CharacterName: name.String(), Created: true}, nil
}

// Me is GET /api/pool/me: the viewer's membership, nil when not in the pool.
func (s *Service) Me(ctx context.Context, twitchUserID string) (*domain.Member, error) {
	if strings.TrimSpace(twitchUserID) == "" {
		return nil, errs.E(errs.Invalid, "twitchUserId is required")
	}
	m, err := s.Repo.Member(ctx, twitchUserID)
	if err != nil {
		return nil, storage(err, "pool/me")
	}
	return m, nil
}

// Stats is the pool size and eligible count.
func (s *Service) Stats(ctx context.Context) (domain.Stats, error) {
	st, err := s.Repo.Stats(ctx)
	if err != nil {
		return st, storage(err, "stats")
	}
	return st, nil
}

// Draw picks one eligible member uniformly with crypto/rand: one random slot among the
// dense slots 0..n-1, one index lookup, whatever the pool size. A repeated draw for the
// same spin cycle answers the same candidate.
func (s *Service) Draw(ctx context.Context, spinCycleID string) (Drawn, error) {
	random := s.Random
	if random == nil {
		random = CryptoRandom
	}
	d, err := s.Repo.Draw(ctx, spinCycleID, random)
	if err != nil {
		return Drawn{}, storage(err, "draw")
	}
	return d, nil
}

// RandomLimit bounds the draw's random numbers: [0, 2^62).
const RandomLimit int64 = 1 << 62

// CryptoRandom is a uniform integer in [0, RandomLimit) from crypto/rand.
func CryptoRandom() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b[:]) >> 2), nil
}

// HandlePayout folds a payout created/status-changed event into the viewer's
// eligibility; Sent removes the member from the pool. Stale and repeated versions
// change nothing.
func (s *Service) HandlePayout(ctx context.Context, f domain.PayoutFact) error {
	if f.PayoutID == "" || f.TwitchUserID == "" || f.Status == "" {
		return errs.E(errs.Invalid, "payout event %s without id, user or status", f.EventID)
	}
	f.At = s.now()
	res, err := s.Repo.ApplyPayout(ctx, f)
	if err != nil {
		return storage(err, "apply payout")
	}
	if res.Stale {
		s.Log.Debug("payout event already applied", zap.String("payoutId", f.PayoutID), zap.Int64("version", f.Version))
		return nil
	}
	if res.Removed != nil {
		s.Log.Info("member left the pool: payout sent", zap.String("payoutId", f.PayoutID),
			zap.String("twitchUserId", f.TwitchUserID), zap.String("name", res.Removed.CharacterName))
	}
	s.changed()
	return nil
}
