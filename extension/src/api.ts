// Calls to the backend (the EBS): the Extension JWT as bearer token, and every refusal
// turned into an ApiError with the documented code (docs/product.md §6: every error
// answer has the body {"code","message","details"}; a 429 carries Retry-After).

import type { ErrorBody } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number, // 0 for a network failure
    readonly code: string, // the body's code; "network" when nothing answered
    message: string,
    readonly retryAfterMs?: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** retryAfterMs reads a Retry-After header: delay-seconds or an HTTP date. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - nowMs) : undefined;
}

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export class Api {
  constructor(
    private readonly base: string,
    private readonly token: () => string,
    private readonly fetchFn: Fetch,
  ) {}

  /** get answers the JSON body, or null for 404 when allow404. */
  async get<T>(path: string, allow404 = false): Promise<T | null> {
    return this.call<T>("GET", path, undefined, allow404);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return (await this.call<T>("POST", path, body, false)) as T;
  }

  private async call<T>(method: string, path: string, body: unknown, allow404: boolean): Promise<T | null> {
    const headers: Record<string, string> = { Authorization: "Bearer " + this.token() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let r: Response;
    try {
      r = await this.fetchFn(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch (e) {
      throw new ApiError(0, "network", String(e));
    }
    if (r.status === 404 && allow404) return null;
    if (r.ok) return (await r.json()) as T;
    let code = "other";
    let message = r.statusText;
    let details: Record<string, unknown> | undefined;
    try {
      const b = (await r.json()) as ErrorBody;
      if (typeof b.code === "string") code = b.code;
      if (typeof b.message === "string") message = b.message;
      if (typeof b.details === "object" && b.details !== null) details = b.details;
    } catch {
      // a proxy's HTML page: keep the status
      if (r.status === 429) code = "rate_limited";
      else if (r.status >= 500) code = "unavailable";
    }
    throw new ApiError(r.status, code, message, retryAfterMs(r.headers.get("Retry-After"), Date.now()), details);
  }
}

/** newRequestId: an idempotency key for a claim or a gift request (UUID v4). */
export function newRequestId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
