import { test } from "node:test";
import assert from "node:assert/strict";
import { Scheduler, defaultSchedule } from "../../build/core.mjs";

function sim(random = () => 0.5) {
  const clock = { t: 1_000_000 };
  const s = new Scheduler(defaultSchedule, () => clock.t, random);
  return { s, clock };
}

/** run advances simulated time to end, fetching whenever the scheduler says so. */
function run(s, clock, end, { onFetch = () => true, broadcasts = [] } = {}) {
  const fetches = [];
  const pending = [...broadcasts].sort((a, b) => a.at - b.at);
  for (;;) {
    const next = Math.min(s.nextAt(), pending.length ? pending[0].at : Infinity);
    if (next > end) break;
    clock.t = Math.max(clock.t, next);
    while (pending.length && pending[0].at <= clock.t) s.broadcastReceived(pending.shift().nextBoundary);
    const why = s.due();
    if (why) {
      s.started();
      fetches.push({ at: clock.t, why });
      const res = onFetch(clock.t, why);
      s.finished(res === true, typeof res === "number" ? res : undefined);
    }
  }
  clock.t = end;
  return fetches;
}

test("a panel whose pushes arrive reads the routes once and never polls", () => {
  const { s, clock } = sim();
  const period = 300_000;
  const firstBoundary = clock.t + 100_000;
  const broadcasts = [];
  for (let b = firstBoundary; b < clock.t + 3_600_000; b += period) broadcasts.push({ at: b + 2_000, nextBoundary: b + period });
  const fetches = run(s, clock, clock.t + 3_600_000, {
    broadcasts,
    onFetch: () => {
      s.expectBroadcastBy(firstBoundary);
      return true;
    },
  });
  assert.deepEqual(fetches.map((f) => f.why), ["load"]);
  assert.equal(s.pushesMissing, false);
});

test("without pushes the panel polls every 90 to 120 s, jittered", () => {
  for (const r of [0, 0.5, 0.999]) {
    const { s, clock } = sim(() => r);
    const start = clock.t;
    const boundary = start + 100_000;
    const fetches = run(s, clock, start + 1_800_000, {
      onFetch: () => {
        s.expectBroadcastBy(boundary);
        return true;
      },
    });
    assert.equal(fetches[0].why, "load");
    // Nothing until the boundary plus the grace has passed without a broadcast.
    assert.equal(fetches[1].at, boundary + defaultSchedule.pushGraceMs);
    for (let i = 2; i < fetches.length; i++) {
      const gap = fetches[i].at - fetches[i - 1].at;
      const { fallbackMinMs: min, fallbackJitterMs: jitter } = defaultSchedule;
      assert.ok(min >= 60_000, "docs/product.md §6: every 60 s or more");
      assert.ok(gap >= min && gap < min + jitter, `gap ${gap} with random ${r}`);
      assert.equal(fetches[i].why, "fallback");
    }
    assert.ok(fetches.length >= 14, "kept polling while pushes were missing");
  }
});

test("a broadcast ends the fallback polling", () => {
  const { s, clock } = sim();
  const start = clock.t;
  const fetches = run(s, clock, start + 1_200_000, {
    broadcasts: [{ at: start + 400_000, nextBoundary: start + 700_000 }, { at: start + 702_000, nextBoundary: start + 1_000_000 },
      { at: start + 1_001_000, nextBoundary: start + 1_300_000 }],
    onFetch: () => {
      s.expectBroadcastBy(start + 10_000);
      return true;
    },
  });
  assert.ok(fetches.every((f) => f.at < start + 400_000), JSON.stringify(fetches));
});

test("a hidden panel does not poll, and reads once when shown after a long gap", () => {
  const { s, clock } = sim();
  const start = clock.t;
  run(s, clock, start + 1, { onFetch: () => (s.expectBroadcastBy(start), true) });
  s.setVisible(false);
  const hidden = run(s, clock, start + 600_000);
  assert.equal(hidden.length, 0);
  s.setVisible(true);
  assert.equal(s.due(), "visible");
});

test("failures back off from 2 s doubling to 60 s, and Retry-After wins", () => {
  const { s, clock } = sim(() => 0);
  const start = clock.t;
  const gaps = [];
  let last = null;
  run(s, clock, start + 400_000, {
    onFetch: (t) => {
      if (last !== null) gaps.push(t - last);
      last = t;
      return false;
    },
  });
  assert.deepEqual(gaps.slice(0, 7), [2000, 4000, 8000, 16000, 32000, 60000, 60000]);

  const b = sim(() => 0);
  b.s.started();
  b.s.finished(false, 45_000);
  assert.equal(b.s.nextAt(), b.clock.t + 45_000);
  assert.equal(b.s.canRetryNow, false, "a Retry button may not skip a Retry-After");
  assert.equal(b.s.retryNow(), false);
  b.clock.t += 45_000;
  assert.equal(b.s.due(), "retry");
});

test("the Retry button skips a plain backoff", () => {
  const { s, clock } = sim(() => 0);
  s.started();
  s.finished(false);
  assert.equal(s.due(), null);
  assert.equal(s.retryNow(), true);
  assert.equal(s.due(), "retry");
});

test("a push that cannot be applied asks for one read at once", () => {
  const { s, clock } = sim();
  run(s, clock, clock.t + 1, { onFetch: () => (s.expectBroadcastBy(clock.t + 300_000), true) });
  assert.equal(s.due(), null);
  s.resync();
  assert.equal(s.due(), "resync");
});

test("readMine: fallback rounds read the viewer's routes only when something moves, or every 5th round", async () => {
  const { readMine, MINE_EVERY_ROUNDS } = await import("../../build/core.mjs");
  const calm = { shared: true, active: false, namedInLastSpin: false, roundsSinceMine: 0 };
  for (const why of ["load", "resync", "visible", "retry"]) assert.equal(readMine(why, calm), true, why);
  assert.equal(readMine("load", { ...calm, shared: false }), false, "never without identity");
  assert.equal(readMine("fallback", calm), false);
  assert.equal(readMine("fallback", { ...calm, active: true }), true);
  assert.equal(readMine("fallback", { ...calm, namedInLastSpin: true }), true);
  assert.equal(readMine("fallback", { ...calm, roundsSinceMine: MINE_EVERY_ROUNDS - 1 }), true);
});

test("a resync asked of every panel at once is spread over the window, and asked twice is still one round", () => {
  const times = [];
  for (const r of [0, 0.25, 0.5, 0.999]) {
    const { s, clock } = sim(() => r);
    run(s, clock, clock.t + 1_000); // loaded
    const at = clock.t;
    s.broadcastReceived(at + 300_000);
    s.resyncWithin(60_000);
    s.resyncWithin(60_000); // a second broadcast with a newer hint before the read
    const fetches = run(s, clock, at + 120_000, { broadcasts: [] });
    assert.equal(fetches.length, 1, "one read");
    assert.equal(fetches[0].why, "resync");
    times.push(fetches[0].at - at);
  }
  assert.deepEqual(times, [0, 15_000, 30_000, 59_940]);
});
