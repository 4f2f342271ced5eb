// Package domain holds the reward announcement's rules: the exact chat line, which
// Helix drops are worth retrying, and how long to wait between attempts.
package domain

import (
	"strings"
	"time"
)

// Message is the line posted in chat when a payout is Sent (docs/product.md §7).
func Message(characterName string) string {
	return "Награда отправлена персонажу " + characterName + " на почту, проверяй ящик!"
}

// DropAction is what to do with a message Helix answered with is_sent:false.
type DropAction int

const (
	// GiveUp records the drop and never posts again: retrying would not pass, or could
	// put a second copy in chat.
	GiveUp DropAction = iota
	// RetryLater posts again after a delay: chat refused it for now only.
	RetryLater
)

// ClassifyDrop decides from drop_reason.code. Only drops that say "not now" are
// retried; everything else, including codes we do not know, is given up on and
// recorded, because a record can be replayed by an operator while a double post cannot
// be taken back.
//
//   - msg_ratelimit, msg_slowmode: chat throttles the sender; the same line passes later.
//   - msg_timedout: the sender is timed out for a while; bounded by MaxDeliver anyway.
//   - msg_duplicate: Twitch refuses an identical line sent shortly before. The line
//     names the character and payouts are minutes apart, so an identical line is almost
//     surely our own earlier post (a timed-out attempt that did land): give up.
//   - msg_rejected, msg_rejected_mandatory: held or refused by AutoMod; a retry could
//     post twice once a moderator releases the held copy.
//   - msg_banned, msg_channel_suspended, msg_suspended, msg_warned, msg_subsonly,
//     msg_followersonly, msg_emoteonly, msg_verified_email,
//     msg_requires_verified_phone_number, msg_r9k, msg_channel_blocked: a ban, a
//     suspension or a channel setting that no retry changes.
func ClassifyDrop(code string) DropAction {
	switch strings.ToLower(strings.TrimSpace(code)) {
	case "msg_ratelimit", "msg_slowmode", "msg_timedout":
		return RetryLater
	default:
		return GiveUp
	}
}

// Backoff is the delay before retrying after the attempt-th failed delivery (1-based),
// taken from schedule and repeating its last step.
func Backoff(schedule []time.Duration, attempt int) time.Duration {
	if len(schedule) == 0 {
		return time.Second
	}
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(schedule) {
		return schedule[len(schedule)-1]
	}
	return schedule[attempt-1]
}

// RateLimitDelay is how long to wait for a rate-limit bucket that refills at reset,
// never less than min (Twitch's clock and ours differ) and never more than max.
func RateLimitDelay(now, reset time.Time, min, max time.Duration) time.Duration {
	d := reset.Sub(now) + 250*time.Millisecond
	if d < min {
		d = min
	}
	if d > max {
		d = max
	}
	return d
}
