// The viewer's panel (docs/product.md §1 step 8, §6, §8): the countdown by the server's
// clock, the phase, the pool size, the last result and the rules for everyone; the
// viewer's own enrollment, payout and gift once they shared their identity. State is
// pushed with Extension PubSub; the routes are read when the panel loads and, while
// pushes are missing, as a slow fallback (schedule.ts).
//
// main.ts stays whole (about 630 lines): it is the panel's one mutable state (the `let`s below),
// which fetching, pushes, actions and rendering all assign, and an ES module cannot assign
// another module's bindings; the pure parts already live in api, clock, i18n, names, push
// and schedule.ts.

import { Api, ApiError, newRequestId } from "./api";
import { clockOffsetMs, formatCountdown, isOld, secondsLeft } from "./clock";
import { describeCode, dictionaries, langFromQuery, rewardLine } from "./i18n";
import { checkName } from "./names";
import { parsePush, poolResyncWanted, PushOrder, winHeldBack } from "./push";
import { defaultSchedule, readMine, Scheduler, type Reason } from "./schedule";
import type { GiftQueue, GiftRequest, Mine, Payout, PoolMe, RouletteState, StatePush, ViewerPush } from "./types";

const lang = langFromQuery(location.search);
const d = dictionaries[lang];
document.documentElement.lang = lang;

/** A finished payout or gift older than this fades. */
const FADE_AFTER_MS = 15 * 60_000;
/** How long the spin animation runs (it is skipped under prefers-reduced-motion). */
const SPIN_MS = 1_600;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error("panel.html has no #" + id);
  return el as T;
};

// --- state ---

interface Viewer {
  token: string;
  channelId: string;
  opaqueId: string;
  userId: string | null; // present only when the viewer shared their identity
}

let viewer: Viewer | null = null;
let shared: RouletteState | null = null;
let offsetMs = 0;
let offsetKnown = false;
const mine: Mine = {};
let giftOrder: string[] | undefined;
let pollError: ApiError | null = null;
let renaming = false;
let lastClaim: { name: string; id: string } | null = null;
let lastGift: { name: string; id: string } | null = null;
let writeBlockedUntil = 0; // a write's Retry-After
const announced = new Set<string>();
const pushesApplied = { state: 0, viewer: 0 };
const order = new PushOrder();
/** The newest poolResync hint seen in a broadcast (push.ts poolResyncWanted). */
let poolResyncSeen: number | undefined;
/** A hint reaches every panel at once; their reads spread over this long. */
const RESYNC_SPREAD_MS = 60_000;

const sched = new Scheduler(defaultSchedule, () => Date.now(), Math.random);
const cfg = window.MGM_CONFIG;
const api = new Api((cfg?.ebsUrl ?? "").replace(/\/+$/, ""), () => viewer?.token ?? "", (u, i) => fetch(u, i));

function identityShared(): boolean {
  return !!viewer?.userId;
}

function loggedOut(): boolean {
  // Opaque ids of logged-out viewers start with "A", of logged-in ones with "U"
  // (https://dev.twitch.tv/docs/extensions/reference/#jwt-schema, opaque_user_id).
  return !!viewer && viewer.opaqueId.startsWith("A");
}

/** jwtUserId reads user_id from the token's payload (the backend verifies it; the
 * panel only needs to know whether it is there). */
function jwtUserId(token: string): string | null {
  try {
    const p = token.split(".")[1] ?? "";
    const json = atob(p.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(p.length / 4) * 4, "="));
    const c = JSON.parse(json) as { user_id?: unknown };
    return typeof c.user_id === "string" && c.user_id !== "" ? c.user_id : null;
  } catch {
    return null;
  }
}

// --- fetching ---

let timer: ReturnType<typeof setTimeout> | undefined;

function schedule(): void {
  clearTimeout(timer);
  const reason = sched.due();
  if (reason) {
    void fetchRound(reason);
    return;
  }
  const at = sched.nextAt();
  if (at !== Infinity) timer = setTimeout(schedule, Math.max(50, at - Date.now()));
}

let roundsSinceMine = 0;

/** mineActive: a payout or a gift request of the viewer's is under way. */
function mineActive(): boolean {
  const p = mine.payout;
  const g = mine.gift?.myRequest;
  return (
    (!!p && (p.status === "Pending" || p.status === "InProgress")) ||
    (!!g && g.status !== "Completed" && g.status !== "Failed")
  );
}

async function fetchRound(reason: Reason): Promise<void> {
  if (!viewer) return;
  sched.started();
  const seen = { ...pushesApplied };
  const channel = encodeURIComponent(viewer.channelId);
  const sent = Date.now();
  const ctx = () => ({
    shared: identityShared(),
    active: mineActive(),
    namedInLastSpin: false,
    roundsSinceMine,
  });
  // A round that starts or repairs the picture reads everything at once; a fallback
  // round reads the shared state first and the viewer's routes only when it matters
  // (schedule.ts readMine).
  const eager = reason !== "fallback" && readMine(reason, ctx());
  const mineRoutes = () =>
    Promise.allSettled([
      api.get<PoolMe>("/api/pool/me"),
      api.get<Payout>("/api/payouts/my-last", true),
      api.get<GiftQueue>("/api/streamers/" + channel + "/gift-queue"),
    ]);
  const [st, early] = await Promise.all([
    api.get<RouletteState>("/api/roulette/state").then(
      (v) => ({ status: "fulfilled", value: v }) as PromiseSettledResult<RouletteState | null>,
      (e) => ({ status: "rejected", reason: e }) as PromiseSettledResult<RouletteState | null>,
    ),
    eager ? mineRoutes() : Promise.resolve(null),
  ]);
  let failure: ApiError | null = null;
  const note = (r: PromiseSettledResult<unknown>): void => {
    if (r.status === "rejected") {
      const e = r.reason instanceof ApiError ? r.reason : new ApiError(0, "other", String(r.reason));
      // 401: the token lacks the identity or expired; Twitch refreshes it through
      // onAuthorized, so this is no reason to retry (and never a reason to drop the
      // answers that did arrive).
      if (e.status === 401) return;
      if (!failure || (e.retryAfterMs ?? 0) > (failure.retryAfterMs ?? 0)) failure = e;
    }
  };
  // Each answer stands on its own: a refusal of one route never throws away what the
  // others returned. An answer older than a push applied meanwhile is dropped.
  let namedInLastSpin = false;
  if (st.status === "fulfilled" && st.value) {
    const before = shared?.lastSpin?.spinCycleId;
    const l = st.value.lastSpin;
    namedInLastSpin =
      !!l && l.spinCycleId !== before && !!l.characterName && sameName(l.characterName, mine.pool?.characterName);
    if (pushesApplied.state === seen.state) applyState(st.value, (sent + Date.now()) / 2);
  }
  note(st);
  let personal = early;
  if (!personal && readMine(reason, { ...ctx(), namedInLastSpin })) personal = await mineRoutes();
  if (personal) {
    roundsSinceMine = 0;
    const [pool, payout, gift] = personal;
    if (pushesApplied.viewer === seen.viewer) {
      if (pool.status === "fulfilled" && pool.value) mine.pool = pool.value;
      if (payout.status === "fulfilled") mine.payout = payout.value;
      if (gift.status === "fulfilled" && gift.value) mine.gift = gift.value;
    }
    note(pool);
    note(payout);
    note(gift);
  } else if (identityShared()) {
    roundsSinceMine++;
  }
  pollError = failure;
  sched.finished(!failure, (failure as ApiError | null)?.retryAfterMs);
  render();
  schedule();
}

/** sameName compares character names case-insensitively (docs/product.md §2; the
 * backend folds fully, this is close enough to decide whether to read more). */
function sameName(a: string, b: string | null | undefined): boolean {
  return !!b && a.toLocaleLowerCase() === b.toLocaleLowerCase();
}

function applyState(s: RouletteState, localAt: number): void {
  const prev = shared;
  shared = s;
  offsetMs = clockOffsetMs(s.serverNow, localAt);
  offsetKnown = true;
  sched.expectBroadcastBy(Date.parse(s.nextSpinAt) - offsetMs);
  if (prev && prev.spinPhase !== "spinning" && s.spinPhase === "spinning") spin();
  if (prev?.lastSpin?.spinCycleId !== s.lastSpin?.spinCycleId && prev) spin();
}

// --- pushes ---

function onPush(target: string, _contentType: string, message: string): void {
  const p = parsePush(message);
  if (p === null) return;
  if ("unknown" in p) {
    sched.resync();
    schedule();
    return;
  }
  switch (p.kind) {
    case "state":
      if (target !== "broadcast" || !order.accept("state", p.version)) return;
      applyStatePush(p);
      break;
    case "viewer":
      if (!viewer || target !== "whisper-" + viewer.opaqueId) return;
      applyViewerPush(p);
      break;
    case "resync":
      sched.resync();
      break;
  }
  render();
  schedule();
}

let spinTimer: ReturnType<typeof setTimeout> | undefined;
let revealTimer: ReturnType<typeof setTimeout> | undefined;

function applyStatePush(p: StatePush): void {
  pushesApplied.state++;
  const prev = shared;
  shared = p.state;
  // The push's serverNow was taken when it was sent; an answer's offset is better,
  // so it is used only until one arrives.
  if (!offsetKnown) offsetMs = clockOffsetMs(p.state.serverNow, Date.now());
  if (Array.isArray(p.state.giftOrder)) giftOrder = p.state.giftOrder;
  const hint = typeof p.state.poolResync === "number" ? p.state.poolResync : undefined;
  if (identityShared() && poolResyncWanted(poolResyncSeen, hint, order.version("pool"))) sched.resyncWithin(RESYNC_SPREAD_MS);
  if (hint !== undefined) poolResyncSeen = Math.max(poolResyncSeen ?? 0, hint);
  sched.broadcastReceived(Date.parse(p.state.nextSpinAt) - offsetMs);
  if (prev && prev.spinPhase !== "spinning" && p.state.spinPhase === "spinning") spin();
  else if (prev && prev.lastSpin?.spinCycleId !== p.state.lastSpin?.spinCycleId) spin();
  // "spinning" turns into "verification" by the clock; the backend does not spend a
  // message on it.
  clearTimeout(spinTimer);
  const until = p.state.spinningUntil ? Date.parse(p.state.spinningUntil) - offsetMs : NaN;
  if (p.state.spinPhase === "spinning" && Number.isFinite(until)) {
    const cycle = p.state.currentSpinCycleId;
    spinTimer = setTimeout(() => {
      if (shared && shared.spinPhase === "spinning" && shared.currentSpinCycleId === cycle) {
        shared = { ...shared, spinPhase: "verification" };
        render();
      }
    }, Math.max(0, until - Date.now()));
  }
}

function applyViewerPush(p: ViewerPush): void {
  let applied = false;
  if (p.pool && order.accept("pool", p.pool.version)) {
    mine.pool = p.pool.value;
    applied = true;
  }
  if (p.payout && order.accept("payout", p.payout.version)) {
    mine.payout = p.payout.value;
    applied = true;
  }
  if (p.gift && order.accept("gift", p.gift.version)) {
    const r = p.gift.value;
    const used = (mine.gift?.giftUsed ?? false) || r?.status === "Completed";
    mine.gift = { queueLength: mine.gift?.queueLength ?? 0, giftUsed: used, myRequest: r };
    applied = true;
  }
  if (applied) pushesApplied.viewer++;
}

// --- actions ---

async function claim(ev: Event): Promise<void> {
  ev.preventDefault();
  const input = $<HTMLInputElement>("join-name");
  const msg = $("join-msg");
  const { name, problem } = checkName(input.value);
  if (problem) {
    msg.textContent = d.nameProblem[problem];
    msg.className = "msg bad";
    input.setAttribute("aria-invalid", "true");
    return;
  }
  input.removeAttribute("aria-invalid");
  // The same name again reuses its request id, so a retry after a lost answer cannot
  // enroll twice (the backend answers 200 for a replay).
  if (!lastClaim || lastClaim.name !== name) lastClaim = { name, id: newRequestId() };
  await write(msg, $<HTMLButtonElement>("join-button"), async () => {
    const out = await api.post<{ characterName: string }>("/api/payouts/claim", {
      characterName: name,
      enrollmentRequestId: lastClaim!.id,
    });
    pushesApplied.viewer++; // an older answer in flight must not undo this
    mine.pool = { isEnrolled: true, characterName: out.characterName };
    renaming = false;
    lastClaim = null;
  });
}

async function askGift(ev: Event): Promise<void> {
  ev.preventDefault();
  const input = $<HTMLInputElement>("gift-name");
  const msg = $("gift-msg");
  const { name, problem } = checkName(input.value);
  if (problem) {
    msg.textContent = d.nameProblem[problem];
    msg.className = "msg bad";
    input.setAttribute("aria-invalid", "true");
    return;
  }
  input.removeAttribute("aria-invalid");
  if (!lastGift || lastGift.name !== name) lastGift = { name, id: newRequestId() };
  await write(msg, $<HTMLButtonElement>("gift-button"), async () => {
    const out = await api.post<GiftRequest>("/api/gift-requests", { characterName: name, requestId: lastGift!.id });
    pushesApplied.viewer++;
    mine.gift = { queueLength: mine.gift?.queueLength ?? 0, giftUsed: false, ...mine.gift, myRequest: out };
    lastGift = null;
  });
}

/** write runs one viewer write with its button disabled, and says how it went. */
async function write(msg: HTMLElement, button: HTMLButtonElement, f: () => Promise<void>): Promise<void> {
  if (Date.now() < writeBlockedUntil) return;
  button.disabled = true;
  msg.className = "msg";
  msg.textContent = d.sending;
  try {
    await f();
    msg.textContent = d.ok;
    msg.className = "msg good";
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "other", String(e));
    msg.className = "msg bad";
    if (err.code === "rate_limited" || err.status === 429) {
      // Retry-After is respected: the button stays disabled and counts down.
      writeBlockedUntil = Date.now() + (err.retryAfterMs ?? 60_000);
      tickWriteBlock(msg, button);
      return;
    }
    msg.textContent = describeCode(d, err.code, err.details);
  } finally {
    if (Date.now() >= writeBlockedUntil) button.disabled = false;
    render();
  }
}

function tickWriteBlock(msg: HTMLElement, button: HTMLButtonElement): void {
  const left = Math.ceil((writeBlockedUntil - Date.now()) / 1000);
  // The limit is on all of the viewer's writes (docs/product.md §6), so every write
  // button waits.
  const others = [$<HTMLButtonElement>("join-button"), $<HTMLButtonElement>("gift-button")].filter((b) => b !== button);
  if (left <= 0) {
    button.disabled = false;
    others.forEach((b) => (b.disabled = false));
    msg.textContent = "";
    return;
  }
  button.disabled = true;
  others.forEach((b) => (b.disabled = true));
  // The alert is announced once with its first text; the seconds after it tick in a
  // separate, silent span.
  if (!msg.querySelector(".secs")) {
    msg.textContent = describeCode(d, "rate_limited") + " ";
    const s = document.createElement("span");
    s.className = "secs";
    s.setAttribute("aria-hidden", "true");
    msg.appendChild(s);
  }
  msg.querySelector(".secs")!.textContent = d.tryAgainIn(left);
  setTimeout(() => tickWriteBlock(msg, button), 1000 - (Date.now() % 1000) + 5);
}

// --- rendering ---

function show(id: string, on: boolean): HTMLElement {
  const el = $(id);
  el.hidden = !on;
  return el;
}

function spin(): void {
  const w = $("wheel");
  w.classList.remove("spin");
  void w.offsetWidth; // restart the animation
  w.classList.add("spin");
  setTimeout(() => w.classList.remove("spin"), SPIN_MS);
}

function serverNowMs(): number {
  return Date.now() + offsetMs;
}

function renderCountdown(): void {
  if (pollError && sched.retryAtMs !== null) {
    const left = Math.max(0, Math.ceil((sched.retryAtMs - Date.now()) / 1000));
    $("retry-in").textContent = d.retryIn(left);
    $<HTMLButtonElement>("retry").disabled = !sched.canRetryNow;
  }
  if (shared) $("countdown").textContent = formatCountdown(secondsLeft(shared.nextSpinAt, Date.now(), offsetMs));
}

function render(): void {
  $("app").setAttribute("aria-busy", shared ? "false" : "true");
  show("facts", !!shared);
  if (shared) {
    $("phase").textContent = d.phase[shared.spinPhase] ?? shared.spinPhase;
    $("pool").textContent = d.pool(shared.poolParticipantCount);
    const l = shared.lastSpin;
    $("last").textContent = !l
      ? d.last.none
      : l.outcome === "winner"
        ? d.last.winner(l.characterName ?? "?")
        : l.outcome === "offline"
          ? d.last.offline(l.characterName ?? "?")
          : d.last.no_report;
  }
  renderIdentity();
  renderMine();
  show("me", ["identity", "enrolled", "join", "payout", "gift"].some((id) => !$(id).hidden));
  renderError();
  renderCountdown();
}

function renderIdentity(): void {
  const needShare = !!viewer && !loggedOut() && !identityShared();
  show("identity", !!viewer && (loggedOut() || needShare));
  $("identity-text").textContent = loggedOut() ? d.loggedOut : needShare ? d.shareWhy : "";
  show("share", needShare);
}

function renderMine(): void {
  const personal = identityShared();
  const pool = mine.pool;
  const enrolled = !!pool?.isEnrolled && !!pool.characterName;
  show("enrolled", personal && enrolled);
  if (enrolled) {
    const e = $("enrolled");
    e.textContent = d.enrolledAs(pool!.characterName!) + " ";
    if (!renaming) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link";
      b.textContent = d.rename;
      b.addEventListener("click", () => {
        renaming = true;
        render();
        $("join-name").focus();
      });
      e.appendChild(b);
    }
  }
  show("join", personal && pool !== undefined && (!enrolled || renaming));
  const p = personal ? mine.payout : undefined;
  const held = !!p && winHeldBack(p.status, shared?.spinPhase, announced.has(p.id));
  renderPayout(held ? undefined : p);
  clearTimeout(revealTimer);
  if (held) revealTimer = setTimeout(render, 1000); // the spin ends by the clock or by a push
  renderGift(personal ? mine.gift : undefined);
}

function renderPayout(p: Payout | null | undefined): void {
  const box = show("payout", !!p);
  if (!p) return;
  const title = $("payout-title");
  const text = $("payout-text");
  const finished = p.status === "Sent" || p.status === "Failed" || p.status === "Cancelled" || p.status === "Expired";
  const old = finished && isOld(p.updatedAt, serverNowMs(), FADE_AFTER_MS);
  box.classList.toggle("old", old);
  title.textContent = old ? d.payout.old : d.payout.won(p.characterName);
  switch (p.status) {
    case "Pending":
      text.textContent = p.acceptedAt ? d.payout.accepted : d.payout.whisper;
      break;
    case "InProgress":
      text.textContent = p.acceptedAt ? d.payout.inProgress : d.payout.whisper;
      break;
    case "Sent":
      text.textContent = rewardLine(p.characterName);
      text.lang = "ru";
      break;
    case "Failed":
      text.textContent = d.payout.failed;
      break;
    case "Cancelled":
      text.textContent = d.payout.cancelled;
      break;
    case "Expired":
      text.textContent = d.payout.expired;
      break;
    default:
      text.textContent = p.status;
  }
  if (p.status !== "Sent") text.removeAttribute("lang");
  // A new win is announced once to screen readers (the countdown never is).
  const recent = !isOld(p.createdAt, serverNowMs(), FADE_AFTER_MS);
  if ((p.status === "Pending" || p.status === "InProgress") && recent && !announced.has(p.id)) {
    announced.add(p.id);
    $("announce").textContent = d.winAnnouncement(p.characterName);
  }
}

function renderGift(g: GiftQueue | undefined): void {
  show("gift", !!g);
  if (!g) return;
  $("gift-title").textContent = d.giftTitle;
  const text = $("gift-text");
  const r = g.myRequest;
  let canAsk = !g.giftUsed;
  let old = false;
  if (r) {
    switch (r.status) {
      case "Pending": {
        let pos = r.position;
        let eta = r.etaSeconds;
        const i = giftOrder?.indexOf(r.id) ?? -1;
        if (i >= 0) {
          pos = i + 1;
          eta = Math.max(0, pos - 1) * 65; // docs/product.md §2: gift ETA
        }
        text.textContent = d.giftQueued(pos, d.eta(eta));
        canAsk = false;
        break;
      }
      case "SelectingItem":
        text.textContent = d.giftServing;
        canAsk = false;
        break;
      case "WaitingConfirmation":
        text.textContent = d.giftWaitingConsent;
        canAsk = false;
        break;
      case "Completed":
        text.textContent = d.giftCompleted(r.itemName ?? "");
        canAsk = false;
        old = isOld(r.updatedAt, serverNowMs(), FADE_AFTER_MS);
        break;
      case "Failed":
        text.textContent = d.giftFailed[r.reason ?? ""] ?? d.giftFailed.other!;
        old = isOld(r.updatedAt, serverNowMs(), FADE_AFTER_MS);
        break;
      default:
        text.textContent = r.status;
    }
  } else {
    text.textContent = g.giftUsed ? d.giftUsed : "";
  }
  $("gift").classList.toggle("old", old);
  show("gift-form", canAsk);
  const gi = $<HTMLInputElement>("gift-name");
  if (canAsk && !gi.value && mine.pool?.characterName) gi.value = mine.pool.characterName;
}

function renderError(): void {
  const e = pollError;
  show("error", !!e);
  if (!e) return;
  const text = e.code === "network" ? d.offline : describeCode(d, e.code);
  const el = $("error-text");
  if (el.textContent !== text) el.textContent = text; // announced once, not per tick
}

// --- wiring ---

function staticTexts(): void {
  $("title").textContent = d.title;
  $("next-label").textContent = d.nextDraw;
  $("share").textContent = d.share;
  $("join-label").textContent = d.joinLabel;
  $("join-button").textContent = d.joinButton;
  $("gift-button").textContent = d.giftButton;
  $("retry").textContent = d.retryNow;
  const rules = $("rules");
  rules.replaceChildren(
    ...d.rules.map((r) => {
      const li = document.createElement("li");
      li.textContent = r;
      return li;
    }),
  );
}

function start(): void {
  staticTexts();
  $("join").addEventListener("submit", (e) => void claim(e));
  $("gift-form").addEventListener("submit", (e) => void askGift(e));
  $("retry").addEventListener("click", () => {
    if (sched.retryNow()) schedule();
  });
  const twitch = window.Twitch?.ext;
  if (!twitch || !cfg?.ebsUrl) {
    pollError = new ApiError(0, "other", "Twitch helper or configuration missing");
    render();
    return;
  }
  $("share").addEventListener("click", () => twitch.actions.requestIdShare());
  twitch.onContext((ctx) => {
    if (ctx.theme === "light" || ctx.theme === "dark") document.documentElement.dataset.theme = ctx.theme;
  });
  twitch.onVisibilityChanged((visible) => {
    sched.setVisible(visible);
    schedule();
  });
  twitch.onError((err) => {
    console.error("Twitch extension error", err);
    $("announce").textContent = d.twitchError;
  });
  twitch.onAuthorized((auth) => {
    const first = viewer === null;
    const hadIdentity = identityShared();
    viewer = { token: auth.token, channelId: auth.channelId, opaqueId: auth.userId, userId: jwtUserId(auth.token) };
    if (first) {
      // Listening needs no backend call; Twitch delivers what the EBS sends.
      twitch.listen("broadcast", onPush);
      twitch.listen("whisper-" + auth.userId, onPush);
    }
    if (!first && identityShared() && !hadIdentity) sched.resync(); // just shared: read the viewer's own state
    render();
    schedule();
  });
  setInterval(renderCountdown, 1000);
  render();
}

start();
