package events

import "time"

// PoolMeRequest asks for one viewer's enrollment.
type PoolMeRequest struct {
	TwitchUserID string `json:"twitchUserId"`
}

// PoolMeReply is GET /api/pool/me.
type PoolMeReply struct {
	IsEnrolled    bool    `json:"isEnrolled"`
	CharacterName *string `json:"characterName"`
}

// PoolClaimRequest is POST /api/payouts/claim after the gateway checked identity and
// subscription.
type PoolClaimRequest struct {
	TwitchUserID        string `json:"twitchUserId"`
	TwitchDisplayName   string `json:"twitchDisplayName"`
	CharacterName       string `json:"characterName"`
	EnrollmentRequestID string `json:"enrollmentRequestId"`
}

// PoolClaimReply answers a claim; Created is false for a replay of the same request id.
type PoolClaimReply struct {
	CharacterName       string `json:"characterName"`
	EnrollmentRequestID string `json:"enrollmentRequestId"`
	Created             bool   `json:"-"`
	Replay              bool   `json:"replay"`
}

// PoolStats is the pool's size; also the value of KV key pool.stats. Version grows with
// every committed change so a stale writer never overwrites a newer value.
type PoolStats struct {
	Version       int64     `json:"version"`
	PoolSize      int       `json:"poolSize"`
	EligibleCount int       `json:"eligibleCount"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// PoolDrawRequest asks the pool to draw one eligible member uniformly (crypto/rand).
type PoolDrawRequest struct {
	SpinCycleID string `json:"spinCycleId"`
}

// PoolDrawReply is the drawn member, nil when nobody is eligible.
type PoolDrawReply struct {
	Member        *DrawnMember `json:"member"`
	EligibleCount int          `json:"eligibleCount"`
}

// DrawnMember is the candidate of a cycle.
type DrawnMember struct {
	TwitchUserID      string     `json:"twitchUserId"`
	TwitchDisplayName string     `json:"twitchDisplayName"`
	CharacterName     string     `json:"characterName"`
	EnrolledAt        *time.Time `json:"enrolledAt,omitempty"` // when this membership began
}

// Spin outcomes (docs/product.md §6 lastSpin).
const (
	OutcomeWinner   = "winner"
	OutcomeOffline  = "offline"
	OutcomeNoReport = "no_report"
)

// Cycle is one spin cycle: drawn at BoundaryAt, awaiting a /who report until
// VerifyDeadline (next boundary + 30 s), then completed with an Outcome.
type Cycle struct {
	SpinCycleID       string     `json:"spinCycleId"`
	BoundaryAt        time.Time  `json:"boundaryAt"`
	DrawnAt           *time.Time `json:"drawnAt,omitempty"`
	VerifyDeadline    time.Time  `json:"verifyDeadline"`
	TwitchUserID      string     `json:"twitchUserId,omitempty"`
	TwitchDisplayName string     `json:"twitchDisplayName,omitempty"`
	CharacterName     string     `json:"characterName,omitempty"`
	Outcome           string     `json:"outcome,omitempty"` // "" while awaiting a report
	PayoutID          string     `json:"payoutId,omitempty"`
	CompletedAt       *time.Time `json:"completedAt,omitempty"`
}

// RouletteSnapshot is the roulette's state document (KV key roulette.state): enough for
// the gateway to answer GET /api/roulette/state from memory with the current clock.
type RouletteSnapshot struct {
	Version             int64  `json:"version"`
	SpinIntervalSeconds int    `json:"spinIntervalSeconds"`
	Current             *Cycle `json:"current,omitempty"`  // the cycle of the latest boundary that drew
	LastSpin            *Cycle `json:"lastSpin,omitempty"` // the latest cycle with an outcome
}

// Candidate is GET /api/roulette/candidate.
type Candidate struct {
	SpinCycleID    string    `json:"spinCycleId"`
	CharacterName  string    `json:"characterName"`
	DrawnAt        time.Time `json:"drawnAt"`
	VerifyDeadline time.Time `json:"verifyDeadline"`
}

// WhoReport is the [MGM_WHO] JSON and the body of POST /api/roulette/verify-candidate.
type WhoReport struct {
	SchemaVersion int       `json:"schemaVersion"`
	SpinCycleID   string    `json:"spinCycleId"`
	CharacterName string    `json:"characterName"`
	Online        bool      `json:"online"`
	CapturedAt    time.Time `json:"capturedAt"`
}

// VerifyReply answers a verify-candidate report.
type VerifyReply struct {
	SpinCycleID string  `json:"spinCycleId"`
	Outcome     string  `json:"outcome"`
	Payout      *Payout `json:"payout,omitempty"`
}

// Payout is the payout read model as every client sees it (PayoutDto).
type Payout struct {
	ID                          string     `json:"id"`
	TwitchUserID                string     `json:"twitchUserId"`
	TwitchDisplayName           string     `json:"twitchDisplayName"`
	CharacterName               string     `json:"characterName"`
	GoldAmount                  int64      `json:"goldAmount"`
	EnrollmentRequestID         string     `json:"enrollmentRequestId"` // the spin cycle id that created it
	SpinCycleID                 string     `json:"spinCycleId"`
	Status                      string     `json:"status"` // domain.PayoutPending, …
	CreatedAt                   time.Time  `json:"createdAt"`
	UpdatedAt                   time.Time  `json:"updatedAt"`
	AcceptedAt                  *time.Time `json:"acceptedAt"`
	IsRewardSentAnnouncedToChat bool       `json:"isRewardSentAnnouncedToChat"`
	Version                     int64      `json:"version"`
}

// CreatePayoutRequest creates the Pending payout of an accepted online report;
// idempotent per SpinCycleID. DrawnAt is when the cycle drew the winner: a winner who
// held an active payout at any moment since is refused (active_payout_exists).
// EnrolledAt is when the winner's pool membership began (the draw's answer): a winner
// whose payout became Sent since is refused the same way.
type CreatePayoutRequest struct {
	SpinCycleID       string     `json:"spinCycleId"`
	TwitchUserID      string     `json:"twitchUserId"`
	TwitchDisplayName string     `json:"twitchDisplayName"`
	CharacterName     string     `json:"characterName"`
	DrawnAt           *time.Time `json:"drawnAt,omitempty"`
	EnrolledAt        *time.Time `json:"enrolledAt,omitempty"`
}

// MyLastRequest asks for a viewer's latest payout.
type MyLastRequest struct {
	TwitchUserID string `json:"twitchUserId"`
}

// GetPayoutRequest asks for one payout.
type GetPayoutRequest struct {
	ID string `json:"id"`
}

// SetStatusRequest is PATCH /api/payouts/{id}/status.
type SetStatusRequest struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// AcceptRequest is POST /api/payouts/{id}/confirm-acceptance.
type AcceptRequest struct {
	ID            string `json:"id"`
	CharacterName string `json:"characterName"`
}
