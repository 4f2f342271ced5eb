// The countdown by the server's clock: nextSpinAt − (now + offset), where the offset
// is measured from serverNow when an answer arrives (docs/product.md §6).

/** clockOffsetMs is serverNow − the local time the answer arrived. */
export function clockOffsetMs(serverNowIso: string, localNowMs: number): number {
  const t = Date.parse(serverNowIso);
  return Number.isFinite(t) ? t - localNowMs : 0;
}

/** secondsLeft until nextSpinAt by the server's clock, never negative. */
export function secondsLeft(nextSpinAtIso: string, localNowMs: number, offsetMs: number): number {
  const t = Date.parse(nextSpinAtIso);
  if (!Number.isFinite(t)) return 0;
  return Math.max(0, Math.ceil((t - (localNowMs + offsetMs)) / 1000));
}

/** formatCountdown: mm:ss. */
export function formatCountdown(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
}

/** isOld: a finished result older than maxAgeMs fades (docs/product.md §1, step 8). */
export function isOld(updatedAtIso: string, serverNowMs: number, maxAgeMs: number): boolean {
  const t = Date.parse(updatedAtIso);
  return Number.isFinite(t) && serverNowMs - t > maxAgeMs;
}
