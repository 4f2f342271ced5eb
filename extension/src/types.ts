// The gateway's JSON shapes the panel reads (docs/product.md §6, §8), and the
// Extension PubSub messages the backend pushes (docs/product.md §6, "Pushing to the
// panel").

export type Phase = "idle" | "collecting" | "spinning" | "verification" | "completed";

export interface LastSpin {
  spinCycleId: string;
  outcome: "winner" | "offline" | "no_report" | string;
  characterName: string | null;
}

/** GET /api/roulette/state: what every viewer sees. */
export interface RouletteState {
  nextSpinAt: string;
  serverNow: string;
  spinIntervalSeconds: number;
  poolParticipantCount: number;
  spinPhase: Phase | string;
  currentSpinCycleId: string;
  lastSpin: LastSpin | null;
}

/** GET /api/pool/me. */
export interface PoolMe {
  isEnrolled: boolean;
  characterName: string | null;
}

export type PayoutStatus = "Pending" | "InProgress" | "Sent" | "Failed" | "Cancelled" | "Expired";

/** GET /api/payouts/my-last (the fields the panel uses). */
export interface Payout {
  id: string;
  characterName: string;
  goldAmount: number;
  status: PayoutStatus | string;
  createdAt: string;
  updatedAt: string;
  acceptedAt: string | null;
}

export type GiftStatus = "Pending" | "SelectingItem" | "WaitingConfirmation" | "Completed" | "Failed";

/** The viewer's own gift request (GET …/gift-queue myRequest, POST /api/gift-requests). */
export interface GiftRequest {
  id: string;
  requestId?: string;
  characterName: string;
  status: GiftStatus | string;
  reason?: string;
  itemName?: string;
  position: number;
  etaSeconds: number;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/streamers/{streamerId}/gift-queue. */
export interface GiftQueue {
  queueLength: number;
  myRequest: GiftRequest | null;
  giftUsed: boolean;
}

/** The error body of every refusal: {"code","message","details"}. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The viewer's own state, as far as the panel knows it. undefined: not loaded. */
export interface Mine {
  pool?: PoolMe;
  payout?: Payout | null;
  gift?: GiftQueue;
}

// --- pushes ---

/** Schema of the push messages this panel understands. */
export const PUSH_SCHEMA = 1;

/** The shared state as pushed: the state route's body, plus what only a push needs. */
export interface PushedState extends RouletteState {
  /** While spinPhase is "spinning": when the phase becomes "verification" by itself
   * (no second message is spent on it). */
  spinningUntil?: string;
  /** Ids of the gift requests waiting or being served, in queue order (the first is
   * served now); a viewer finds their own place in it. */
  giftOrder?: string[];
  /** The stream sequence of the newest pool change whose whisper the backend dropped
   * (its share of Twitch's per-channel minute was used up by a burst): a panel that
   * has applied nothing of its own pool as recent reads its own routes once. */
  poolResync?: number;
}

/** Broadcast to everyone on the channel: the shared state. */
export interface StatePush {
  schema: number;
  kind: "state";
  version: number;
  state: PushedState;
}

/** One part of a viewer's own state, with the version of its source (the stream
 * sequence of the event it comes from), so parts are ordered independently. */
export interface Part<T> {
  version: number;
  value: T;
}

/** Whispered to one viewer: the parts of their own state that changed (a part left
 * out is unchanged). */
export interface ViewerPush {
  schema: number;
  kind: "viewer";
  version: number;
  pool?: Part<PoolMe>;
  payout?: Part<Payout | null>;
  gift?: Part<GiftRequest | null>;
}

/** Asks the panel to read the routes again (for example after a message was dropped
 * because it would not fit Twitch's size limit). */
export interface ResyncPush {
  schema: number;
  kind: "resync";
  version: number;
}

export type Push = StatePush | ViewerPush | ResyncPush;
