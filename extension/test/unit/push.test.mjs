import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePush, poolResyncWanted, PushOrder, winHeldBack, retryAfterMs, Api, ApiError, langFromQuery, rewardLine, secondsLeft, formatCountdown, clockOffsetMs, isOld } from "../../build/core.mjs";

test("parsePush reads state, viewer and resync messages and flags unknown ones", () => {
  const st = parsePush(JSON.stringify({ schema: 1, kind: "state", version: 3, state: { spinPhase: "idle" } }));
  assert.equal(st.kind, "state");
  const v = parsePush(JSON.stringify({ schema: 1, kind: "viewer", version: 4, payout: { version: 9, value: null } }));
  assert.equal(v.kind, "viewer");
  assert.equal(v.payout.version, 9);
  assert.equal(parsePush(JSON.stringify({ schema: 1, kind: "viewer", version: 4, pool: null })), null, "a part needs a version and a value");
  assert.equal(parsePush(JSON.stringify({ schema: 1, kind: "viewer", version: 4, pool: { value: {} } })), null);
  assert.deepEqual(parsePush(JSON.stringify({ schema: 2, kind: "state", version: 5, state: {} })), { unknown: true });
  assert.deepEqual(parsePush(JSON.stringify({ schema: 1, kind: "confetti", version: 5 })), { unknown: true });
  assert.equal(parsePush("not json"), null);
  assert.equal(parsePush(JSON.stringify({ schema: 1, kind: "state" })), null, "no version");
  assert.equal(parsePush(JSON.stringify({ schema: 1, kind: "state", version: 1, state: null })), null);
});

test("PushOrder applies each kind in version order and drops older messages", () => {
  const o = new PushOrder();
  assert.equal(o.accept("state", 5), true);
  assert.equal(o.accept("state", 4), false);
  assert.equal(o.accept("state", 5), false, "a repeat is dropped");
  assert.equal(o.accept("viewer", 1), true, "kinds are ordered separately");
  assert.equal(o.accept("state", 9), true);
});

test("retryAfterMs reads seconds and HTTP dates", () => {
  assert.equal(retryAfterMs("12", 0), 12_000);
  assert.equal(retryAfterMs(new Date(60_000).toUTCString(), 0), 60_000);
  assert.equal(retryAfterMs(null, 0), undefined);
  assert.equal(retryAfterMs("soon", 0), undefined);
});

test("Api turns error bodies, network failures and 404 into what the panel shows", async () => {
  const answers = {
    "/ok": () => new Response(JSON.stringify({ a: 1 }), { status: 200 }),
    "/missing": () => new Response(JSON.stringify({ code: "not_found", message: "none", details: {} }), { status: 404 }),
    "/limited": () => new Response(JSON.stringify({ code: "rate_limited", message: "slow", details: {} }), { status: 429, headers: { "Retry-After": "7" } }),
    "/html": () => new Response("<html>bad gateway</html>", { status: 502 }),
    "/down": () => { throw new TypeError("Failed to fetch"); },
  };
  const seen = [];
  const api = new Api("http://x", () => "tok", async (url, init) => {
    seen.push(init.headers.Authorization);
    return answers[url.slice("http://x".length)]();
  });
  assert.deepEqual(await api.get("/ok"), { a: 1 });
  assert.equal(await api.get("/missing", true), null);
  await assert.rejects(api.get("/missing"), (e) => e instanceof ApiError && e.code === "not_found" && e.status === 404);
  await assert.rejects(api.get("/limited"), (e) => e.code === "rate_limited" && e.retryAfterMs === 7000);
  await assert.rejects(api.get("/html"), (e) => e.code === "unavailable" && e.status === 502);
  await assert.rejects(api.get("/down"), (e) => e.code === "network" && e.status === 0);
  assert.ok(seen.every((h) => h === "Bearer tok"));
});

test("language comes from Twitch's language query parameter", () => {
  assert.equal(langFromQuery("?anchor=panel&language=ru&mode=viewer"), "ru");
  assert.equal(langFromQuery("?language=en"), "en");
  assert.equal(langFromQuery("?locale=ru-RU"), "ru");
  assert.equal(langFromQuery(""), "en");
});

test("the reward line is the chat announcement, verbatim", () => {
  assert.equal(rewardLine("Норинн"), "Награда отправлена персонажу Норинн на почту, проверяй ящик!");
});

test("the countdown follows the server's clock", () => {
  const off = clockOffsetMs("2030-01-01T00:00:10Z", Date.parse("2030-01-01T00:00:00Z"));
  assert.equal(off, 10_000);
  assert.equal(secondsLeft("2030-01-01T00:05:00Z", Date.parse("2030-01-01T00:00:00Z"), off), 290);
  assert.equal(secondsLeft("2030-01-01T00:00:00Z", Date.parse("2030-01-01T00:00:00Z"), off), 0);
  assert.equal(formatCountdown(290), "04:50");
  assert.equal(isOld("2030-01-01T00:00:00Z", Date.parse("2030-01-01T00:16:00Z"), 15 * 60_000), true);
  assert.equal(isOld("2030-01-01T00:00:00Z", Date.parse("2030-01-01T00:14:00Z"), 15 * 60_000), false);
});

test("a dropped pool whisper makes a panel read its own routes once, unless it already has as recent", () => {
  assert.equal(poolResyncWanted(undefined, 40, undefined), false, "the first broadcast only sets the baseline (the routes were read at load)");
  assert.equal(poolResyncWanted(40, 40, undefined), false, "a hint already seen");
  assert.equal(poolResyncWanted(40, 55, undefined), true, "a newer drop, and nothing of the viewer's pool applied");
  assert.equal(poolResyncWanted(40, 55, 30), true, "the viewer's own pool is older than the drop");
  assert.equal(poolResyncWanted(40, 55, 60), false, "the viewer's own pool is newer than the drop");
  assert.equal(poolResyncWanted(40, undefined, undefined), false, "no hint");
  const o = new PushOrder();
  assert.equal(o.version("pool"), undefined);
  o.accept("pool", 7);
  assert.equal(o.version("pool"), 7);
});

test("a new win waits for the wheel to stop; a win already shown stays", () => {
  assert.equal(winHeldBack("Pending", "spinning", false), true, "You won under Spinning… would contradict the panel");
  assert.equal(winHeldBack("Pending", "verification", false), false);
  assert.equal(winHeldBack("Pending", "spinning", true), false, "never taken back once shown");
  assert.equal(winHeldBack("Sent", "spinning", false), false, "an old result is not news");
  assert.equal(winHeldBack("Pending", undefined, false), false);
});
