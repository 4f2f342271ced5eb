// make bench: how many backend requests the panel's own scheduling code (src/schedule.ts,
// bundled in build/core.mjs) makes per viewer-minute, run for many simulated viewers on a
// simulated clock. Prints one JSON object (scripts/bench.sh hands it to mgm-bench).
//
// Each viewer opens the panel at a random moment of the hour and keeps it open for 30
// minutes; every fetch round is 1 request (GET /api/roulette/state) and 3 more for a
// viewer who shared identity (pool/me, payouts/my-last, gift-queue) when readMine says
// so; every viewer counts as sharing (the worst case) with nothing of theirs under way.
// Scenarios:
//   pushes   the backend broadcasts at every spin boundary and at each phase change
//            (spinning, verification, completed), as docs/product.md §6 asks
//   missing  no push ever arrives (Extension PubSub down or not configured)
import { defaultSchedule, readMine, Scheduler } from "../build/core.mjs";

const VIEWERS = Number(process.env.PANEL_BENCH_VIEWERS || 10_000);
const HOUR = 3_600_000;
const SESSION = 30 * 60_000;
const SPIN = 300_000;
const SHARED_ROUTES = 3;

function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** broadcasts of one hour starting at 0: each boundary, then spinning → verification
 * 5 s later, completed 60 s later (a winner verified). */
function broadcasts() {
  const out = [];
  for (let b = SPIN; b < 2 * HOUR; b += SPIN) {
    out.push({ at: b + 500, next: b + SPIN });
    out.push({ at: b + 5_000, next: b + SPIN });
    out.push({ at: b + 60_000, next: b + SPIN });
  }
  return out;
}

function simulate(pushes, seed) {
  const random = rng(seed);
  const all = pushes ? broadcasts() : [];
  let requests = 0;
  let loads = 0;
  let minutes = 0;
  for (let v = 0; v < VIEWERS; v++) {
    const open = Math.floor(random() * HOUR);
    const close = open + SESSION;
    const clock = { t: open };
    const s = new Scheduler(defaultSchedule, () => clock.t, random);
    const pending = all.filter((b) => b.at > open && b.at <= close);
    let roundsSinceMine = 0;
    for (;;) {
      const next = Math.min(s.nextAt(), pending.length ? pending[0].at : Infinity);
      if (next > close) break;
      clock.t = Math.max(clock.t, next);
      while (pending.length && pending[0].at <= clock.t) s.broadcastReceived(pending.shift().next);
      const why = s.due();
      if (why) {
        s.started();
        let n = 1;
        if (readMine(why, { shared: true, active: false, namedInLastSpin: false, roundsSinceMine })) {
          n += SHARED_ROUTES;
          roundsSinceMine = 0;
        } else roundsSinceMine++;
        requests += n;
        if (why === "load") loads += n;
        // The state answer tells the boundary the countdown counts to.
        s.expectBroadcastBy(Math.ceil((clock.t + 1) / SPIN) * SPIN);
        s.finished(true);
      }
    }
    minutes += SESSION / 60_000;
  }
  return { requests, loads, minutes };
}

const withPushes = simulate(true, 1);
const without = simulate(false, 2);
const out = {
  viewers: VIEWERS,
  sessionMinutes: SESSION / 60_000,
  // Requests per viewer-minute with pushes flowing, the load included / after the load.
  pushesRpm: withPushes.requests / withPushes.minutes,
  pushesSteadyRpm: (withPushes.requests - withPushes.loads) / withPushes.minutes,
  // A spin cycle is 5 minutes; with pushes the panel reads nothing during it.
  pushesPerCycle: ((withPushes.requests - withPushes.loads) / withPushes.minutes) * (SPIN / 60_000),
  missingRpm: without.requests / without.minutes,
  missingSteadyRpm: (without.requests - without.loads) / without.minutes,
  oldPanelRpm: (3 * 60_000) / 5_000, // the panel before: 3 routes every 5 s
};
console.log(JSON.stringify(out));
