// Package app holds helix-notifier's use cases: announce a Sent payout in chat at most
// once, list the announcements that need an operator, and replay one.
package app

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"time"

	"github.com/sony/gobreaker"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/helix"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// Metrics are helix-notifier's counters, published with expvar under
// "mgm_helix_notifier" and served on MGM_NOTIFIER_METRICS_ADDR (/metrics, /debug/vars):
// posted, failed (given up, after the last attempt or a terminal drop), unknown
// (outcome lost to a crash), retried (attempts that will be retried), dropped
// (is_sent:false answers).
var Metrics = expvar.NewMap("mgm_helix_notifier")

// Repo is the announcement marker store (adapters.Repo).
type Repo interface {
	Claim(ctx context.Context, payoutID, name, message, worker string, now time.Time) (events.Announcement, bool, error)
	Get(ctx context.Context, payoutID string) (events.Announcement, error)
	Posted(ctx context.Context, payoutID, worker, messageID string, now time.Time) error
	Release(ctx context.Context, payoutID, worker, reason string, now time.Time) error
	Fail(ctx context.Context, payoutID, worker, reason string, now time.Time) (events.Announcement, error)
	FailNew(ctx context.Context, payoutID, name, message, reason string, now time.Time) (bool, error)
	MarkUnknown(ctx context.Context, payoutID string, cutoff, now time.Time, reason string) (bool, error)
	Attention(ctx context.Context, staleBefore time.Time) ([]events.Announcement, error)
	Rearm(ctx context.Context, payoutID string, staleBefore, now time.Time) (events.Announcement, error)
}

// Chat posts a chat message (helix.Client).
type Chat interface {
	SendChatMessage(ctx context.Context, broadcasterID, senderID, message string) (helix.SendResult, error)
}

// Publisher publishes an event envelope with Nats-Msg-Id = msgID.
type Publisher func(ctx context.Context, env events.Envelope) error

// Settings tune the announcer; service.Options fills them.
type Settings struct {
	BroadcasterID string
	SenderID      string
	Worker        string // this replica's claim identity
	Backoff       []time.Duration
	MaxRateWait   time.Duration
	PostTimeout   time.Duration
	StaleAfter    time.Duration // a claim older than this belongs to a notifier that stopped
	MaxEventAge   time.Duration // older Sent events are recorded as failed, not announced
	// AfterHelix, when set, runs after Helix answered and before the answer is recorded;
	// a non-nil error abandons the message there, as a crash would (tests).
	AfterHelix func(ctx context.Context, payoutID string) error
	// AfterRecorded runs after the answer is recorded and before the events and the ack.
	AfterRecorded func(ctx context.Context, payoutID string) error
}

// Announcer announces Sent payouts.
type Announcer struct {
	Repo    Repo
	Chat    Chat
	Publish Publisher
	Breaker *gobreaker.CircuitBreaker
	Log     *zap.Logger
	Now     func() time.Time
	S       Settings
}

// Request is one announcement to make.
type Request struct {
	PayoutID      string
	CharacterName string
	OccurredAt    time.Time // when the payout became Sent (zero for replays)
	Delivery      int       // JetStream delivery count of this message, from 1
	LastDelivery  bool      // no redelivery will follow
}

// Outcome tells the consumer what to do with the message.
type Outcome struct {
	Retry   bool          // Nak with Delay
	Delay   time.Duration //
	Abandon bool          // neither ack nor nak: the message is redelivered after AckWait
}

var ack = Outcome{}

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

// Announce handles one Sent payout (or replay). It is safe to call for the same payout
// from any number of deliveries and replicas: the marker row decides who posts.
//
// At most once, and the window that remains. The marker is claimed ("posting") in one
// statement before Helix is called and completed ("posted") right after Helix answers
// is_sent:true, then the event is published and the message acked. A crash after the
// marker is completed is harmless: the redelivery finds "posted", republishes the event
// (deduplicated by its Nats-Msg-Id) and acks. A crash in the short gap between Helix
// accepting the line and the UPDATE that records it leaves a "posting" claim behind; we
// choose NOT to post again: once the claim is older than StaleAfter the redelivery turns
// it into "unknown", logs it at error level, counts it and publishes NotifyRewardFailed,
// and the operator decides (`helix-notifier failures list`, check chat, `failures replay`).
// A duplicate line is worse than a missing one because the missing one can be replayed.
// Timeouts are the other ambiguous case: the issue asks to retry them, so a timed-out
// request that Twitch did carry out can be followed by a second copy; Twitch itself
// drops an identical line sent within 30 s (msg_duplicate), which we then record
// instead of retrying, so the first retries are kept short. That guard is Twitch's
// chat rule, not ours: it may not hold for every sender (moderators and the broadcaster
// can be exempt from chat restrictions), so this window is narrowed (PostTimeout is
// generous, 10 s by default) but not closed. Helix has no way to ask whether a line
// landed, so closing it would mean never retrying a timeout.
func (a *Announcer) Announce(ctx context.Context, r Request) (Outcome, error) {
	if r.PayoutID == "" || r.CharacterName == "" {
		return ack, errs.E(errs.Invalid, "payout event without id or character name")
	}
	now := a.Now()
	msg := domain.Message(r.CharacterName)
	log := a.Log.With(zap.String("payoutId", r.PayoutID), zap.Int("delivery", r.Delivery))

	if !r.OccurredAt.IsZero() && a.S.MaxEventAge > 0 && now.Sub(r.OccurredAt) > a.S.MaxEventAge {
		// Announcing a week-old win would puzzle chat: record it for the operator instead.
		if _, err := a.Repo.Get(ctx, r.PayoutID); errs.Has(err, errs.NotFound) {
			reason := fmt.Sprintf("event too old to announce (%s)", now.Sub(r.OccurredAt).Round(time.Second))
			return a.failUnclaimed(ctx, log, r, msg, reason)
		}
	}

	if a.Breaker.State() == gobreaker.StateOpen {
		// Helix is down: do not even claim; wait for the breaker to let a probe through.
		reason := "helix circuit breaker open"
		if r.LastDelivery {
			return a.failUnclaimed(ctx, log, r, msg, "retries exhausted: "+reason)
		}
		Metrics.Add("retried", 1)
		log.Warn("reward announcement will be retried", zap.String("reason", reason))
		return Outcome{Retry: true, Delay: domain.Backoff(a.S.Backoff, r.Delivery)}, nil
	}

	cur, claimed, err := a.Repo.Claim(ctx, r.PayoutID, r.CharacterName, msg, a.S.Worker, now)
	if err != nil {
		return a.retryInfra(r, err)
	}
	if !claimed {
		return a.notClaimed(ctx, log, r, cur)
	}
	return a.post(ctx, log, r, msg, cur.Attempts)
}

// failUnclaimed gives up on a payout this delivery did not claim (new or pending).
func (a *Announcer) failUnclaimed(ctx context.Context, log *zap.Logger, r Request, msg, reason string) (Outcome, error) {
	changed, err := a.Repo.FailNew(ctx, r.PayoutID, r.CharacterName, msg, reason, a.Now())
	if err != nil {
		return a.retryInfra(r, err)
	}
	if !changed {
		return ack, nil // already posted, failed, or claimed by a live delivery
	}
	cur, err := a.Repo.Get(ctx, r.PayoutID)
	if err != nil {
		return a.retryInfra(r, err)
	}
	return a.gaveUp(ctx, log, r, reason, cur.Attempts)
}

// notClaimed handles a payout whose marker another delivery owns or settled.
func (a *Announcer) notClaimed(ctx context.Context, log *zap.Logger, r Request, cur events.Announcement) (Outcome, error) {
	switch cur.State {
	case events.AnnouncementPosted:
		// Posted before (maybe by a notifier that crashed before publishing): make sure the
		// event is out; its Nats-Msg-Id makes this idempotent.
		if err := a.publishPosted(ctx, cur.PayoutID, cur.CharacterName, cur.MessageID, cur.Attempts); err != nil {
			return a.retryInfra(r, err)
		}
		return ack, nil
	case events.AnnouncementFailed, events.AnnouncementUnknown:
		return ack, nil
	case events.AnnouncementPosting:
		now := a.Now()
		age := time.Duration(0)
		if cur.ClaimedAt != nil {
			age = now.Sub(*cur.ClaimedAt)
		}
		if age < a.S.StaleAfter && !r.LastDelivery {
			// Another delivery is posting right now: look again once it must be done.
			return Outcome{Retry: true, Delay: a.S.StaleAfter - age + 100*time.Millisecond}, nil
		}
		reason := "outcome unknown: a notifier stopped between Helix's answer and recording it; check chat, then replay if the line is missing"
		changed, err := a.Repo.MarkUnknown(ctx, r.PayoutID, now.Add(-a.S.StaleAfter), now, reason)
		if err != nil {
			return a.retryInfra(r, err)
		}
		if !changed {
			if r.LastDelivery {
				return ack, nil // a live claim on our last delivery: its owner settles it
			}
			return Outcome{Retry: true, Delay: a.S.StaleAfter}, nil
		}
		Metrics.Add("unknown", 1)
		log.Error("reward announcement outcome unknown; not posting again", zap.String("reason", reason))
		if err := a.publishFailed(ctx, r.PayoutID, r.CharacterName, "unknown_outcome", cur.Attempts); err != nil {
			log.Error("publish reward failed event", zap.Error(err))
		}
		return ack, nil
	default: // pending: the claim raced with a release; try again shortly
		return Outcome{Retry: true, Delay: domain.Backoff(a.S.Backoff, 1)}, nil
	}
}

// post calls Helix with the claim held and settles the claim from the answer.
func (a *Announcer) post(ctx context.Context, log *zap.Logger, r Request, msg string, attempts int) (Outcome, error) {
	// The Helix call and the recording of its answer outlive a shutdown signal: a
	// graceful stop finishes the attempt instead of leaving an unknown claim behind.
	work := context.WithoutCancel(ctx)
	pctx, cancel := context.WithTimeout(work, a.S.PostTimeout)
	res, err := a.Breaker.Execute(func() (any, error) {
		return a.Chat.SendChatMessage(pctx, a.S.BroadcasterID, a.S.SenderID, msg)
	})
	cancel()
	if a.S.AfterHelix != nil {
		if herr := a.S.AfterHelix(ctx, r.PayoutID); herr != nil {
			return Outcome{Abandon: true}, nil
		}
	}
	now := a.Now()
	if err == nil {
		sent := res.(helix.SendResult)
		if sent.IsSent {
			return a.posted(ctx, work, log, r, sent.MessageID, attempts)
		}
		Metrics.Add("dropped", 1)
		reason := "dropped by twitch: " + sent.DropCode
		if sent.DropMessage != "" {
			reason += " (" + sent.DropMessage + ")"
		}
		if domain.ClassifyDrop(sent.DropCode) == domain.GiveUp {
			return a.giveUp(work, log, r, reason, attempts)
		}
		return a.retry(work, log, r, reason, domain.Backoff(a.S.Backoff, r.Delivery), attempts)
	}
	reason := err.Error()
	switch {
	case errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests):
		reason = "helix circuit breaker open"
		return a.retry(work, log, r, reason, domain.Backoff(a.S.Backoff, r.Delivery), attempts)
	case errs.CodeOf(err) == errs.RateLimited:
		delay := domain.Backoff(a.S.Backoff, r.Delivery)
		if reset, ok := helix.RateLimitReset(err); ok {
			delay = domain.RateLimitDelay(now, reset, 0, a.S.MaxRateWait)
		}
		return a.retry(work, log, r, reason, delay, attempts)
	case helix.Temporary(err):
		return a.retry(work, log, r, reason, domain.Backoff(a.S.Backoff, r.Delivery), attempts)
	default:
		return a.giveUp(work, log, r, reason, attempts)
	}
}

func (a *Announcer) posted(ctx, work context.Context, log *zap.Logger, r Request, messageID string, attempts int) (Outcome, error) {
	// Helix accepted the line: recording it is the one write we must not lose, so a
	// database hiccup is retried here rather than by a redelivery (which would find our
	// own claim and call it unknown).
	var err error
	for i := 0; i < 5; i++ {
		if err = a.Repo.Posted(work, r.PayoutID, a.S.Worker, messageID, a.Now()); err == nil || errs.Has(err, errs.Conflict) {
			break
		}
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
	}
	if err != nil && !errs.Has(err, errs.Conflict) {
		log.Error("reward posted but not recorded; it will surface as unknown", zap.Error(err))
		return Outcome{Abandon: true}, nil
	}
	Metrics.Add("posted", 1)
	if a.S.AfterRecorded != nil {
		if herr := a.S.AfterRecorded(ctx, r.PayoutID); herr != nil {
			return Outcome{Abandon: true}, nil
		}
	}
	log.Info("reward announced in chat", zap.String("messageId", messageID))
	if err := a.publishPosted(work, r.PayoutID, r.CharacterName, messageID, attempts); err != nil {
		// Nak: the redelivery finds "posted" and publishes again.
		return Outcome{Retry: true, Delay: domain.Backoff(a.S.Backoff, 1)}, nil
	}
	return ack, nil
}

// retry releases the claim and asks for a redelivery, or gives up on the last one.
func (a *Announcer) retry(ctx context.Context, log *zap.Logger, r Request, reason string, delay time.Duration, attempts int) (Outcome, error) {
	if err := a.Repo.Release(ctx, r.PayoutID, a.S.Worker, reason, a.Now()); err != nil {
		log.Warn("release announcement claim", zap.Error(err))
	}
	if r.LastDelivery {
		return a.giveUp(ctx, log, r, "retries exhausted: "+reason, attempts)
	}
	Metrics.Add("retried", 1)
	log.Warn("reward announcement will be retried", zap.String("reason", reason), zap.Duration("delay", delay))
	return Outcome{Retry: true, Delay: delay}, nil
}

// giveUp records the failure: error log, metric, failure record, failed event.
func (a *Announcer) giveUp(ctx context.Context, log *zap.Logger, r Request, reason string, attempts int) (Outcome, error) {
	if _, err := a.Repo.Fail(ctx, r.PayoutID, a.S.Worker, reason, a.Now()); err != nil {
		if errs.Has(err, errs.Conflict) {
			return ack, nil // settled by someone else meanwhile
		}
		return a.retryInfra(r, err)
	}
	return a.gaveUp(ctx, log, r, reason, attempts)
}

func (a *Announcer) gaveUp(ctx context.Context, log *zap.Logger, r Request, reason string, attempts int) (Outcome, error) {
	Metrics.Add("failed", 1)
	log.Error("reward announcement given up; replay with `helix-notifier failures replay`",
		zap.String("reason", reason), zap.Int("attempts", attempts))
	if err := a.publishFailed(ctx, r.PayoutID, r.CharacterName, reason, attempts); err != nil {
		log.Error("publish reward failed event", zap.Error(err))
	}
	return ack, nil
}

// retryInfra handles our own infrastructure failing (database, NATS): try again later.
func (a *Announcer) retryInfra(r Request, err error) (Outcome, error) {
	if r.LastDelivery {
		return ack, errs.Wrap(errs.Unavailable, err, "announcement of %s abandoned on the last delivery", r.PayoutID)
	}
	return Outcome{Retry: true, Delay: domain.Backoff(a.S.Backoff, r.Delivery)}, errs.Wrap(errs.Unavailable, err, "announce %s", r.PayoutID)
}

func (a *Announcer) publishPosted(ctx context.Context, payoutID, name, messageID string, attempts int) error {
	env, err := events.New("reward-posted-"+payoutID, events.NotifyRewardPosted, "helix-notifier", a.Now(),
		events.RewardNotice{PayoutID: payoutID, CharacterName: name, Message: domain.Message(name), MessageID: messageID, Attempts: attempts})
	if err != nil {
		return err
	}
	return a.Publish(ctx, env)
}

func (a *Announcer) publishFailed(ctx context.Context, payoutID, name, reason string, attempts int) error {
	env, err := events.New(fmt.Sprintf("reward-failed-%s-%d", payoutID, attempts), events.NotifyRewardFailed, "helix-notifier", a.Now(),
		events.RewardNotice{PayoutID: payoutID, CharacterName: name, Message: domain.Message(name), Reason: reason, Attempts: attempts})
	if err != nil {
		return err
	}
	return a.Publish(ctx, env)
}
