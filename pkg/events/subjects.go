package events

// Event subjects. The subject is the event type.
const (
	ChatTwGold = "mgm.chat.command.twgold" // ingest → pool
	ChatTwGift = "mgm.chat.command.twgift" // ingest → gift-queue

	PoolMemberEnrolled = "mgm.pool.member.enrolled"
	PoolMemberRenamed  = "mgm.pool.member.renamed"
	PoolMemberRemoved  = "mgm.pool.member.removed"

	RouletteCycleDrawn     = "mgm.roulette.cycle.drawn"
	RouletteCycleCompleted = "mgm.roulette.cycle.completed"

	// Payout events are appended to the payout service's event store and relayed here
	// with Nats-Msg-Id = event id (outbox relay).
	PayoutCreated       = "mgm.payout.created"
	PayoutStatusChanged = "mgm.payout.status.changed"
	PayoutAccepted      = "mgm.payout.accepted"
	PayoutAnnounced     = "mgm.payout.announced"

	// NotifyRewardPosted is published by helix-notifier once the reward line is in chat
	// (is_sent: true); the payout service folds it into isRewardSentAnnouncedToChat.
	NotifyRewardPosted = "mgm.notify.reward.posted"
	// NotifyRewardFailed records an announcement given up on (terminal drop or retries spent).
	NotifyRewardFailed = "mgm.notify.reward.failed"

	GiftRequestChanged = "mgm.gift.request.changed"
)

// Request/reply subjects (core NATS, queue groups named after the service): the
// gateway and the services call each other on these. Request and reply bodies are the
// JSON types in rpc.go; errors travel in natsx headers.
const (
	RPCPoolMe    = "mgm.rpc.pool.me"    // PoolMeRequest → PoolMeReply
	RPCPoolClaim = "mgm.rpc.pool.claim" // PoolClaimRequest → PoolClaimReply
	RPCPoolStats = "mgm.rpc.pool.stats" // struct{} → PoolStats
	RPCPoolDraw  = "mgm.rpc.pool.draw"  // PoolDrawRequest → PoolDrawReply

	RPCRouletteState     = "mgm.rpc.roulette.state"     // struct{} → RouletteSnapshot
	RPCRouletteCandidate = "mgm.rpc.roulette.candidate" // struct{} → Candidate (not_found when none)
	RPCRouletteVerify    = "mgm.rpc.roulette.verify"    // WhoReport → VerifyReply

	RPCPayoutCreate  = "mgm.rpc.payout.create"  // CreatePayoutRequest → Payout
	RPCPayoutMyLast  = "mgm.rpc.payout.mylast"  // MyLastRequest → Payout (not_found when none)
	RPCPayoutPending = "mgm.rpc.payout.pending" // struct{} → []Payout
	RPCPayoutStatus  = "mgm.rpc.payout.status"  // SetStatusRequest → Payout
	RPCPayoutAccept  = "mgm.rpc.payout.accept"  // AcceptRequest → Payout
	RPCPayoutGet     = "mgm.rpc.payout.get"     // GetPayoutRequest → Payout
)

// KV bucket holding the small, always-current state documents the gateway serves from
// memory (it watches the bucket). History 1: only the latest value matters.
const (
	StateBucket      = "MGM_STATE"
	KeyPoolStats     = "pool.stats"     // PoolStats, written by pool
	KeyRouletteState = "roulette.state" // RouletteSnapshot, written by roulette
)

// Buckets of the push to the viewers' panels.
const (
	// ViewersBucket maps a viewer who shared their identity with the Extension to the
	// opaque id their panel listens under ("u.<twitch user id>" → opaque id, and
	// "o.<opaque id>" → twitch user id). The gateway writes it from the tokens it
	// verifies; helix-notifier reads it to whisper a viewer their own changes
	// (docs/product.md §6). Entries expire ViewersTTL after they were last written.
	ViewersBucket = "MGM_VIEWERS"
	// PanelBucket holds the panel pusher's lease (one replica broadcasts) and the
	// counter its broadcasts take their versions from.
	PanelBucket = "MGM_PANEL"
)

// Stream names a JetStream stream and the subjects it captures (natsx.EnsureStreams
// provisions it).
type Stream struct {
	Name     string
	Subjects []string
}

// Streams, one per aggregate family.
var (
	StreamChat     = Stream{Name: "MGM_CHAT", Subjects: []string{"mgm.chat.>"}}
	StreamPool     = Stream{Name: "MGM_POOL", Subjects: []string{"mgm.pool.>"}}
	StreamRoulette = Stream{Name: "MGM_ROULETTE", Subjects: []string{"mgm.roulette.>"}}
	StreamPayout   = Stream{Name: "MGM_PAYOUT", Subjects: []string{"mgm.payout.>"}}
	StreamNotify   = Stream{Name: "MGM_NOTIFY", Subjects: []string{"mgm.notify.>"}}
	StreamGift     = Stream{Name: "MGM_GIFT", Subjects: []string{"mgm.gift.>"}}
	// StreamDead keeps the messages consumers gave up on (mgm.dead.letter.<consumer>)
	// and the operator's replays of them (mgm.dead.replay.<consumer>).
	StreamDead = Stream{Name: "MGM_DEAD", Subjects: []string{"mgm.dead.>"}}
)

// AllStreams is every stream; each service ensures the ones it touches at start-up.
var AllStreams = []Stream{StreamChat, StreamPool, StreamRoulette, StreamPayout, StreamNotify, StreamGift, StreamDead}
