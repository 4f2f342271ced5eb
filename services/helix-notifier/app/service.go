// Package app holds helix-notifier's use cases: announce a Sent payout in chat at most
// once, list the announcements that need an operator, and replay one. The states and
// their moves are the domain's (domain.Announcement); what becomes of a delivery is
// said with errs' delivery hints, which the consumer settles.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/helix"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// Repository stores announcements (adapters.Postgres).
type Repository interface {
	// Update runs fn on payoutID's announcement in a transaction and saves it when fn
	// returns nil. With create set, a payout seen for the first time starts as create;
	// without, an unknown payout is errs.NotFound.
	Update(ctx context.Context, payoutID string, create *domain.Announcement, fn func(a *domain.Announcement) error) (*domain.Announcement, error)
	Get(ctx context.Context, payoutID string) (*domain.Announcement, error)
	// Unsettled is every announcement not posted, oldest change first.
	Unsettled(ctx context.Context) ([]*domain.Announcement, error)
}

// Chat posts a chat message (helix.Client).
type Chat interface {
	SendChatMessage(ctx context.Context, broadcasterID, senderID, message string) (helix.SendResult, error)
}

// Publisher tells the other services what became of an announcement
// (adapters.JetStream).
type Publisher interface {
	Posted(ctx context.Context, a *domain.Announcement) error
	Failed(ctx context.Context, a *domain.Announcement, reason string) error
	Replay(ctx context.Context, a *domain.Announcement) error
}

// Counter is one of the notifier's counters (a prometheus.Counter).
type Counter interface{ Inc() }

// Metrics are the notifier's counters: posted, failed (given up, after the last attempt
// or a terminal drop), unknown (outcome lost to a crash), retried (attempts that will be
// retried), dropped (is_sent:false answers). Alert on failed and unknown: each is an
// announcement an operator must look at.
type Metrics struct {
	Posted, Failed, Unknown, Retried, Dropped Counter
}

// Settings tune the service; service.Options fills them.
type Settings struct {
	BroadcasterID string
	SenderID      string
	Worker        string // this replica's claim identity
	Backoff       []time.Duration
	MaxRateWait   time.Duration
	PostTimeout   time.Duration
	StaleAfter    time.Duration // a claim older than this belongs to a notifier that stopped
	MaxEventAge   time.Duration // older Sent events are recorded as failed, not announced
}

// Service is helix-notifier's use cases.
type Service struct {
	Repo      Repository
	Chat      Chat
	Publisher Publisher
	Breaker   *gobreaker.CircuitBreaker
	Metrics   Metrics
	Log       *zap.Logger
	Now       func() time.Time
	S         Settings
}

// Request is one announcement to make.
type Request struct {
	PayoutID      string
	CharacterName string
	OccurredAt    time.Time // when the payout became Sent (zero for replays)
	Delivery      int       // JetStream delivery count of this message, from 1
	LastDelivery  bool      // time to give up on Helix (deliveries go on while the give-up cannot be recorded)
}

// NewBreaker builds the circuit breaker guarding Helix: it opens after failures
// consecutive failures where Helix was down (5xx, timeouts, no answer) and lets one
// probe through after openFor. Rate limits, drops and 4xx mean Helix is up and do not
// count.
func NewBreaker(failures uint32, openFor time.Duration, log *zap.Logger) *gobreaker.CircuitBreaker {
	return gobreaker.NewCircuitBreaker(gobreaker.Settings{
		Name:        "helix",
		MaxRequests: 1,
		Timeout:     openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsSuccessful: func(err error) bool {
			return err == nil || errs.CodeOf(err) != errs.Unavailable
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			log.Warn("helix circuit breaker", zap.String("from", from.String()), zap.String("to", to.String()))
		},
	})
}

// later asks for a redelivery after delay; reason says why (logged by the consumer).
func later(delay time.Duration, reason string) error {
	return errs.Later(delay, errs.E(errs.Unavailable, "%s", reason))
}

// Announce handles one Sent payout (or replay). It is safe to call for the same payout
// from any number of deliveries and replicas: the announcement decides who posts. It
// returns nil when the delivery is done, errs.Later to be asked again, errs.Abandon to
// be left for a redelivery after AckWait, or an error that rejects the delivery.
//
// At most once, and the window that remains. The announcement is claimed ("posting")
// before Helix is called and completed ("posted") right after Helix answers
// is_sent:true, then the event is published and the delivery done. A crash after the
// announcement is completed is harmless: the redelivery finds "posted", republishes the
// event (deduplicated by its Nats-Msg-Id) and is done. A crash in the short gap between
// Helix accepting the line and recording it leaves a "posting" claim behind; we choose
// NOT to post again: once the claim is older than StaleAfter the redelivery turns it
// into "unknown", logs it at error level, counts it and publishes NotifyRewardFailed,
// and the operator decides (`helix-notifier failures list`, check chat, `failures
// replay`). A duplicate line is worse than a missing one because the missing one can be
// replayed. Timeouts are the other ambiguous case: the issue asks to retry them, so a
// timed-out request that Twitch did carry out can be followed by a second copy; Twitch
// itself drops an identical line sent within 30 s (msg_duplicate), which we then record
// instead of retrying, so the first retries are kept short. That guard is Twitch's chat
// rule, not ours: it may not hold for every sender (moderators and the broadcaster can
// be exempt from chat restrictions), so this window is narrowed (PostTimeout is
// generous, 10 s by default) but not closed. Helix has no way to ask whether a line
// landed, so closing it would mean never retrying a timeout.
func (s *Service) Announce(ctx context.Context, r Request) error {
	if r.PayoutID == "" || r.CharacterName == "" {
		return errs.E(errs.Invalid, "payout event without id or character name")
	}
	now := s.Now()
	log := s.Log.With(zap.String("payoutId", r.PayoutID), zap.Int("delivery", r.Delivery))
	fresh := domain.NewAnnouncement(r.PayoutID, r.CharacterName, now)
	if !r.OccurredAt.IsZero() && s.S.MaxEventAge > 0 && now.Sub(r.OccurredAt) > s.S.MaxEventAge {
		// Announcing a week-old win would puzzle chat: record it for the operator instead.
		if _, err := s.Repo.Get(ctx, r.PayoutID); errs.Has(err, errs.NotFound) {
			return s.giveUpUnclaimed(ctx, log, r, fresh, fmt.Sprintf("event too old to announce (%s)", now.Sub(r.OccurredAt).Round(time.Second)))
		}
	}
	if s.Breaker.State() == gobreaker.StateOpen {
		// Helix is down: do not even claim; wait for the breaker to let a probe through.
		reason := "helix circuit breaker open"
		if r.LastDelivery {
			return s.giveUpUnclaimed(ctx, log, r, fresh, "retries exhausted: "+reason)
		}
		s.Metrics.Retried.Inc()
		return later(domain.Backoff(s.S.Backoff, r.Delivery), reason)
	}
	claimed := false
	a, err := s.Repo.Update(ctx, r.PayoutID, fresh, func(a *domain.Announcement) error {
		claimed = a.Claim(s.S.Worker, now)
		return nil
	})
	if err != nil {
		return s.retryInfra(log, r, err)
	}
	if !claimed {
		return s.notClaimed(ctx, log, r, a)
	}
	return s.post(ctx, log, r, a)
}

// giveUpUnclaimed fails a payout this delivery did not claim (new or pending).
func (s *Service) giveUpUnclaimed(ctx context.Context, log *zap.Logger, r Request, fresh *domain.Announcement, reason string) error {
	changed := false
	a, err := s.Repo.Update(ctx, r.PayoutID, fresh, func(a *domain.Announcement) error {
		changed = a.GiveUp(reason, s.Now())
		return nil
	})
	if err != nil {
		return s.retryInfra(log, r, err)
	}
	if !changed {
		return nil // already posted, failed, or claimed by a live delivery
	}
	return s.gaveUp(ctx, log, a, reason)
}

// notClaimed handles a payout whose announcement another delivery holds or settled.
func (s *Service) notClaimed(ctx context.Context, log *zap.Logger, r Request, a *domain.Announcement) error {
	switch a.State {
	case domain.Posted:
		// Posted before (maybe by a notifier that crashed before publishing): make sure the
		// event is out; its Nats-Msg-Id makes this idempotent.
		if err := s.Publisher.Posted(ctx, a); err != nil {
			return s.retryInfra(log, r, err)
		}
		return nil
	case domain.Failed, domain.Unknown:
		return nil
	case domain.Posting:
		now := s.Now()
		age := time.Duration(0)
		if a.ClaimedAt != nil {
			age = now.Sub(*a.ClaimedAt)
		}
		if age < s.S.StaleAfter && !r.LastDelivery {
			// Another delivery is posting right now: look again once it must be done.
			return later(s.S.StaleAfter-age+100*time.Millisecond, "another delivery is posting")
		}
		reason := "outcome unknown: a notifier stopped between Helix's answer and recording it; check chat, then replay if the line is missing"
		changed := false
		a, err := s.Repo.Update(ctx, r.PayoutID, nil, func(a *domain.Announcement) error {
			changed = a.MarkUnknown(now.Add(-s.S.StaleAfter), reason, now)
			return nil
		})
		if err != nil {
			return s.retryInfra(log, r, err)
		}
		if !changed {
			if r.LastDelivery {
				return nil // a live claim on our last delivery: its owner settles it
			}
			return later(s.S.StaleAfter, "another delivery is posting")
		}
		s.Metrics.Unknown.Inc()
		log.Error("reward announcement outcome unknown; not posting again", zap.String("reason", reason))
		if err := s.Publisher.Failed(ctx, a, "unknown_outcome"); err != nil {
			log.Error("publish reward failed event", zap.Error(err))
		}
		return nil
	default: // pending: the claim raced with a release; try again shortly
		return later(domain.Backoff(s.S.Backoff, 1), "claim raced with a release")
	}
}

// post calls Helix with the claim held and settles the claim from the answer.
func (s *Service) post(ctx context.Context, log *zap.Logger, r Request, a *domain.Announcement) error {
	// The Helix call and the recording of its answer outlive a shutdown signal: a
	// graceful stop finishes the attempt instead of leaving an unknown claim behind.
	work := context.WithoutCancel(ctx)
	pctx, cancel := context.WithTimeout(work, s.S.PostTimeout)
	res, err := s.Breaker.Execute(func() (any, error) {
		return s.Chat.SendChatMessage(pctx, s.S.BroadcasterID, s.S.SenderID, a.Message)
	})
	cancel()
	now := s.Now()
	if err == nil {
		sent := res.(helix.SendResult)
		if sent.IsSent {
			return s.posted(work, log, r, a, sent.MessageID)
		}
		s.Metrics.Dropped.Inc()
		reason := "dropped by twitch: " + sent.DropCode
		if sent.DropMessage != "" {
			reason += " (" + sent.DropMessage + ")"
		}
		if domain.ClassifyDrop(sent.DropCode) == domain.GiveUp {
			return s.giveUp(work, log, r, a, reason)
		}
		return s.retry(work, log, r, a, reason, domain.Backoff(s.S.Backoff, r.Delivery))
	}
	reason := err.Error()
	switch {
	case errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests):
		return s.retry(work, log, r, a, "helix circuit breaker open", domain.Backoff(s.S.Backoff, r.Delivery))
	case errs.CodeOf(err) == errs.RateLimited:
		delay := domain.Backoff(s.S.Backoff, r.Delivery)
		if reset, ok := helix.RateLimitReset(err); ok {
			delay = domain.RateLimitDelay(now, reset, 0, s.S.MaxRateWait)
		}
		return s.retry(work, log, r, a, reason, delay)
	case helix.Temporary(err):
		return s.retry(work, log, r, a, reason, domain.Backoff(s.S.Backoff, r.Delivery))
	default:
		return s.giveUp(work, log, r, a, reason)
	}
}

// posted records Helix's is_sent:true and tells the other services.
func (s *Service) posted(ctx context.Context, log *zap.Logger, r Request, a *domain.Announcement, messageID string) error {
	// Helix accepted the line: recording it is the one write we must not lose, so a
	// database hiccup is retried here rather than by a redelivery (which would find our
	// own claim and call it unknown).
	var (
		rec *domain.Announcement
		err error
	)
	for i := 0; i < 5; i++ {
		rec, err = s.Repo.Update(ctx, r.PayoutID, nil, func(a *domain.Announcement) error {
			return a.Posted(s.S.Worker, messageID, s.Now())
		})
		if err == nil || errs.Has(err, errs.Conflict) {
			break
		}
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
	}
	switch {
	case errs.Has(err, errs.Conflict):
		// Settled by someone else meanwhile (an operator's replay); what we know is
		// still that the line is in chat.
		rec = a
		rec.MessageID = messageID
	case err != nil:
		log.Error("reward posted but not recorded; it will surface as unknown", zap.Error(err))
		return errs.Abandon(err)
	}
	s.Metrics.Posted.Inc()
	log.Info("reward announced in chat", zap.String("messageId", messageID))
	if err := s.Publisher.Posted(ctx, rec); err != nil {
		// The redelivery finds "posted" and publishes again.
		return errs.Later(domain.Backoff(s.S.Backoff, 1), errs.Wrap(errs.Unavailable, err, "publish reward posted"))
	}
	return nil
}

// retry releases the claim and asks for a redelivery, or gives up on the last one.
func (s *Service) retry(ctx context.Context, log *zap.Logger, r Request, a *domain.Announcement, reason string, delay time.Duration) error {
	if _, err := s.Repo.Update(ctx, r.PayoutID, nil, func(a *domain.Announcement) error {
		a.Release(s.S.Worker, reason, s.Now())
		return nil
	}); err != nil {
		log.Warn("release announcement claim", zap.Error(err))
	}
	if r.LastDelivery {
		return s.giveUp(ctx, log, r, a, "retries exhausted: "+reason)
	}
	s.Metrics.Retried.Inc()
	return later(delay, reason)
}

// giveUp records the failure: error log, metric, failure record, failed event.
func (s *Service) giveUp(ctx context.Context, log *zap.Logger, r Request, a *domain.Announcement, reason string) error {
	rec, err := s.Repo.Update(ctx, r.PayoutID, nil, func(a *domain.Announcement) error {
		return a.Fail(s.S.Worker, reason, s.Now())
	})
	if errs.Has(err, errs.Conflict) {
		return nil // settled by someone else meanwhile
	}
	if err != nil {
		return s.retryInfra(log, r, err)
	}
	return s.gaveUp(ctx, log, rec, reason)
}

func (s *Service) gaveUp(ctx context.Context, log *zap.Logger, a *domain.Announcement, reason string) error {
	s.Metrics.Failed.Inc()
	log.Error("reward announcement given up; replay with `helix-notifier failures replay`",
		zap.String("reason", reason), zap.Int("attempts", a.Attempts))
	if err := s.Publisher.Failed(ctx, a, reason); err != nil {
		log.Error("publish reward failed event", zap.Error(err))
	}
	return nil
}

// retryInfra handles our own infrastructure failing (database, NATS): try again later,
// unless this was the last delivery.
func (s *Service) retryInfra(log *zap.Logger, r Request, err error) error {
	if r.LastDelivery {
		// Time to give up on Helix, but the record of it cannot be written: the next
		// delivery tries again (a temporary failure is never the end of an announcement).
		log.Error("announcement could not be recorded on its last delivery; will try again", zap.Error(err))
	}
	return errs.Later(domain.Backoff(s.S.Backoff, r.Delivery), errs.Wrap(errs.Unavailable, err, "announce %s", r.PayoutID))
}
