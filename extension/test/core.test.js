"use strict";
const test = require("node:test");
const assert = require("node:assert");
const MGM = require("../core.js");

test("countdown follows the server clock, never below zero", () => {
  const offset = MGM.clockOffsetMs("2026-04-04T12:01:23.456Z", Date.parse("2026-04-04T12:01:20.456Z"));
  assert.strictEqual(offset, 3000);
  const left = MGM.secondsLeft("2026-04-04T12:05:00.000Z", Date.parse("2026-04-04T12:01:20.456Z"), offset);
  assert.strictEqual(left, 217);
  assert.strictEqual(MGM.formatCountdown(left), "03:37");
  assert.strictEqual(MGM.secondsLeft("2026-04-04T12:05:00.000Z", Date.parse("2026-04-04T12:06:00Z"), 0), 0);
});

test("the reward line matches the chat announcement exactly", () => {
  assert.strictEqual(MGM.rewardText("Норинн"), "Награда отправлена персонажу Норинн на почту, проверяй ящик!");
  assert.strictEqual(MGM.describePayout({ status: "Sent", characterName: "Норинн" }), MGM.rewardText("Норинн"));
});

test("last spin outcomes are described", () => {
  assert.match(MGM.describeLastSpin({ outcome: "winner", characterName: "Thrall" }), /Thrall/);
  assert.match(MGM.describeLastSpin({ outcome: "offline", characterName: "Thrall" }), /не в игре/);
  assert.strictEqual(MGM.describeLastSpin(null), "");
});

test("backoff grows, caps at 60 s and honours Retry-After", () => {
  assert.strictEqual(MGM.backoffMs(1, 0), 2000);
  assert.strictEqual(MGM.backoffMs(3, 0), 8000);
  assert.strictEqual(MGM.backoffMs(20, 0), 60000);
  assert.strictEqual(MGM.backoffMs(1, 12), 12000);
  assert.strictEqual(MGM.backoffMs(1, 600), 60000);
});
