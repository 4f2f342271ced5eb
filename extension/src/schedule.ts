// When the panel asks the backend, decided without any DOM or timers so that tests and
// `make bench` run exactly this code for many simulated viewers.
//
// docs/product.md §6 ("Pushing to the panel"): the panel reads the routes once when it
// loads and again after a push it cannot apply; otherwise it polls only as a slow,
// jittered fallback (every 60 s or more) while no push arrives. The backend broadcasts
// at every spin boundary at least, so a panel that has heard nothing by the boundary
// it is counting to (plus a grace) knows pushes are missing.

export interface ScheduleConfig {
  /** Shortest fallback interval, ms (≥ 60 s). */
  fallbackMinMs: number;
  /** Random extra on top of fallbackMinMs, ms, so panels do not poll in step. */
  fallbackJitterMs: number;
  /** How long after the boundary a broadcast may be late before pushes count as missing. */
  pushGraceMs: number;
  /** First retry after a failure, ms; doubled per failure up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

// The fallback's gap is 90–120 s: a fallback round reads the shared state and, now and
// then, the viewer's own routes — about 1.4 requests a round (make bench) — so 60–90 s
// cost an idle viewer 1.27 requests a minute, over docs/product.md §6's one; 90–120 s
// keeps it under one.
export const defaultSchedule: ScheduleConfig = {
  fallbackMinMs: 90_000,
  fallbackJitterMs: 30_000,
  pushGraceMs: 30_000,
  backoffBaseMs: 2_000,
  backoffMaxMs: 60_000,
};

export type Reason = "load" | "fallback" | "retry" | "resync" | "visible";

/**
 * Scheduler holds the panel's polling state. The caller asks due() whenever a timer
 * fires (or after any input) and fetches when it answers a reason; nextAt() says when
 * to ask again.
 */
export class Scheduler {
  private visible = true;
  private loaded = false;
  private inFlight = false;
  private lastFetchAt = -Infinity;
  private fallbackGapMs: number;
  private pushDeadline = Infinity;
  private missing = false;
  private failures = 0;
  private retryAt: number | null = null;
  private retryFloor: number | null = null;
  private resyncWanted = false;
  private resyncAt: number | null = null;
  private staleOnShow = false;

  constructor(
    private readonly cfg: ScheduleConfig,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {
    this.fallbackGapMs = this.jitteredGap();
  }

  private jitteredGap(): number {
    return this.cfg.fallbackMinMs + Math.floor(this.random() * this.cfg.fallbackJitterMs);
  }

  /** pushesMissing: no broadcast arrived by the time one was due. */
  get pushesMissing(): boolean {
    this.updateMissing();
    return this.missing;
  }

  /** failureCount is the number of failed fetch rounds in a row. */
  get failureCount(): number {
    return this.failures;
  }

  /** retryAtMs is when the next retry after a failure happens (null: none pending). */
  get retryAtMs(): number | null {
    return this.retryAt;
  }

  private updateMissing(): void {
    if (!this.missing && this.now() >= this.pushDeadline) this.missing = true;
  }

  /**
   * expectBroadcastBy records when the next broadcast is due at the latest: the
   * boundary the countdown counts to. A later answer never moves a nearer deadline
   * away, so a panel cannot talk itself out of noticing that pushes stopped.
   */
  expectBroadcastBy(boundaryMs: number): void {
    const d = boundaryMs + this.cfg.pushGraceMs;
    if (!this.missing && (this.pushDeadline === Infinity || d < this.pushDeadline || this.pushDeadline <= this.now())) {
      this.pushDeadline = d;
    }
  }

  /** broadcastReceived: a broadcast arrived; the next is due by nextBoundaryMs. */
  broadcastReceived(nextBoundaryMs: number): void {
    this.missing = false;
    this.pushDeadline = nextBoundaryMs + this.cfg.pushGraceMs;
  }

  /** resync asks for one fetch round as soon as possible (a push that could not be applied). */
  resync(): void {
    this.resyncWanted = true;
  }

  /**
   * resyncWithin asks for one fetch round at a random moment of the next windowMs
   * (every panel on the channel may be asked at once, by one broadcast); a round
   * already asked for is not moved.
   */
  resyncWithin(windowMs: number): void {
    if (this.resyncWanted || this.resyncAt !== null) return;
    this.resyncAt = this.now() + Math.floor(this.random() * windowMs);
  }

  /** setVisible pauses (false) or resumes (true) polling (Twitch's onVisibilityChanged). */
  setVisible(v: boolean): void {
    if (v && !this.visible) {
      this.updateMissing();
      // Coming back after the fallback gap with pushes missing: read once at once.
      if (this.missing && this.now() - this.lastFetchAt >= this.fallbackGapMs) this.staleOnShow = true;
    }
    this.visible = v;
  }

  /** started: a fetch round began (due() answered a reason and the caller fetches). */
  started(): void {
    this.inFlight = true;
    this.lastFetchAt = this.now();
    this.resyncWanted = false;
    this.resyncAt = null;
    this.staleOnShow = false;
  }

  /**
   * finished: the fetch round ended. ok false means it failed as a whole (network
   * error, 429, 5xx on the shared route); retryAfterMs is the server's Retry-After.
   */
  finished(ok: boolean, retryAfterMs?: number): void {
    this.inFlight = false;
    this.fallbackGapMs = this.jitteredGap();
    if (ok) {
      this.loaded = true;
      this.failures = 0;
      this.retryAt = null;
      this.retryFloor = null;
      return;
    }
    this.failures++;
    let wait = Math.min(this.cfg.backoffBaseMs * 2 ** (this.failures - 1), this.cfg.backoffMaxMs);
    // Up to a quarter more, so panels that failed together do not retry together.
    wait += Math.floor(this.random() * wait * 0.25);
    this.retryFloor = null;
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      wait = Math.max(wait, retryAfterMs);
      this.retryFloor = this.now() + retryAfterMs;
    }
    this.retryAt = this.now() + wait;
  }

  /** nextAt is when due() may next answer a reason (Infinity: only an input can). */
  nextAt(): number {
    if (!this.visible || this.inFlight) return Infinity;
    if (this.retryAt !== null) return this.retryAt;
    if (!this.loaded || this.resyncWanted || this.staleOnShow) return this.now();
    this.updateMissing();
    const poll = this.missing ? this.lastFetchAt + this.fallbackGapMs : this.pushDeadline;
    return this.resyncAt !== null ? Math.min(poll, this.resyncAt) : poll;
  }

  /** due says whether to fetch now, and why. */
  due(): Reason | null {
    if (!this.visible || this.inFlight) return null;
    const now = this.now();
    if (this.retryAt !== null) return now >= this.retryAt ? "retry" : null;
    if (!this.loaded) return "load";
    if (this.resyncWanted || (this.resyncAt !== null && now >= this.resyncAt)) return "resync";
    if (this.staleOnShow) return "visible";
    this.updateMissing();
    if (this.missing && now >= this.lastFetchAt + this.fallbackGapMs) return "fallback";
    return null;
  }

  /** canRetryNow: a retry is pending and no Retry-After forbids it yet. */
  get canRetryNow(): boolean {
    return this.retryAt !== null && (this.retryFloor === null || this.now() >= this.retryFloor);
  }

  /** retryNow lets a viewer's Retry button skip the backoff wait, never a Retry-After. */
  retryNow(): boolean {
    if (!this.canRetryNow) return false;
    this.retryAt = this.now();
    return true;
  }
}

/** What the panel knows when deciding whether a round reads the viewer's own routes. */
export interface PersonalContext {
  /** The viewer shared identity (without it the routes are never called). */
  shared: boolean;
  /** Something of the viewer's is under way: a Pending or InProgress payout, or a
   * gift request that is not finished. */
  active: boolean;
  /** The state just read names the viewer's enrolled character in a new last spin. */
  namedInLastSpin: boolean;
  /** Fallback rounds since the viewer's routes were last read. */
  roundsSinceMine: number;
}

/** Every this many fallback rounds the viewer's routes are read even when nothing
 * points at a change (an enrollment made in chat, say). */
export const MINE_EVERY_ROUNDS = 5;

/**
 * readMine says whether a fetch round reads the viewer's own routes (pool/me,
 * payouts/my-last, gift-queue) besides the shared state. Rounds that start or repair
 * the picture (load, resync, shown again, a retry) always do; a fallback round does
 * only when something of the viewer's is moving, when the last spin names them, or
 * every MINE_EVERY_ROUNDS rounds — so a fallback costs one request most of the time.
 */
export function readMine(reason: Reason, c: PersonalContext): boolean {
  if (!c.shared) return false;
  if (reason !== "fallback") return true;
  return c.active || c.namedInLastSpin || c.roundsSinceMine + 1 >= MINE_EVERY_ROUNDS;
}
