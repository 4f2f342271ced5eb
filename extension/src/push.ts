// Extension PubSub messages from the backend (docs/product.md §6, "Pushing to the
// panel"). Twitch hands the panel the message string through Twitch.ext.listen
// (https://dev.twitch.tv/docs/extensions/reference/#listen); every message carries a
// version: the shared state is a whole snapshot, and a viewer's message carries whole
// parts (pool, payout, gift) each with the version of its own source, so anything
// older than what was applied is simply dropped and a lost message costs only a delay.

import { PUSH_SCHEMA, type Push } from "./types";

/** parsePush reads a message string; null when it is not a push this panel knows. */
export function parsePush(message: string): Push | { unknown: true } | null {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const m = v as Record<string, unknown>;
  if (typeof m.version !== "number" || !Number.isFinite(m.version)) return null;
  // A newer schema or kind than this panel knows: it cannot be applied, so the panel
  // reads the routes instead (docs/product.md §6).
  if (m.schema !== PUSH_SCHEMA) return { unknown: true };
  switch (m.kind) {
    case "state":
      if (typeof m.state !== "object" || m.state === null) return null;
      return m as unknown as Push;
    case "viewer":
      for (const part of ["pool", "payout", "gift"]) {
        const v = m[part] as Record<string, unknown> | undefined;
        if (v !== undefined && (typeof v !== "object" || v === null || typeof v.version !== "number" || !("value" in v))) {
          return null;
        }
      }
      return m as unknown as Push;
    case "resync":
      return m as unknown as Push;
    default:
      return { unknown: true };
  }
}

/** PushOrder remembers the newest version applied per kind. */
export class PushOrder {
  private last = new Map<string, number>();

  /** accept reports whether a message of kind at version is newer than any applied
   * one, and records it if so. */
  accept(kind: string, version: number): boolean {
    const prev = this.last.get(kind);
    if (prev !== undefined && version <= prev) return false;
    this.last.set(kind, version);
    return true;
  }

  /** version is the newest version applied for kind (undefined: none yet). */
  version(kind: string): number | undefined {
    return this.last.get(kind);
  }

  /** applied counts kinds with at least one applied message (for tests). */
  get size(): number {
    return this.last.size;
  }
}

/**
 * poolResyncWanted says whether a broadcast's poolResync hint calls for reading the
 * viewer's own routes: the backend dropped the whisper of a pool change newer than the
 * last hint this panel saw (seen; undefined for the first broadcast, which only sets
 * the baseline — the routes were read at load), and nothing this panel applied of its
 * own pool is as recent (ownPool: the newest pool part applied, undefined if none).
 * Dropped whispers are the backend keeping to Twitch's per-channel minute in a burst
 * (docs/product.md §6); this turns each into a delay, not a wrong panel.
 */
export function poolResyncWanted(seen: number | undefined, hint: number | undefined, ownPool: number | undefined): boolean {
  if (seen === undefined || hint === undefined || hint <= seen) return false;
  return ownPool === undefined || ownPool < hint;
}

/**
 * winHeldBack says whether a new win stays off the panel for now: while the shared
 * state still shows the wheel spinning, a panel that says "You won" under
 * "Spinning…" (its whisper often arrives before the spin ends) contradicts itself and
 * tells the winner before everyone else sees the draw. A win already shown is never
 * taken back, and only a fresh one (Pending) waits.
 */
export function winHeldBack(status: string, sharedPhase: string | undefined, shown: boolean): boolean {
  return !shown && status === "Pending" && sharedPhase === "spinning";
}
