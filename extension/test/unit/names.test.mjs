import { test } from "node:test";
import assert from "node:assert/strict";
import { checkName } from "../../build/core.mjs";

test("checkName accepts 2 to 12 Latin or Cyrillic letters, trimmed", () => {
  for (const ok of ["Norinn", "  Jo  ", "Норинн", "Straße", "Ёжик", "Abcdefghijkl", "Абвгдежзийкл"]) {
    assert.deepEqual(checkName(ok), { name: ok.trim(), problem: null }, ok);
  }
});

test("checkName names the rule a name breaks, as the backend would refuse it", () => {
  const cases = {
    "": "empty",
    "   ": "empty",
    A: "short",
    Я: "short",
    Abcdefghijklm: "long",
    Абвгдежзийклм: "long",
    "Nor1nn": "letters",
    "Nor inn": "letters",
    "Nor-inn": "letters",
    "Νορινν": "letters", // Greek is neither Latin nor Cyrillic
    "名前": "letters",
    "Noрinn": "mixed", // a Cyrillic р among Latin letters
  };
  for (const [raw, problem] of Object.entries(cases)) {
    assert.equal(checkName(raw).problem, problem, JSON.stringify(raw));
  }
});

test("checkName counts code points, not UTF-16 units or bytes", () => {
  // 12 Cyrillic letters are 24 bytes of UTF-8 but still 12 letters.
  assert.equal(checkName("Ааааааааааааа".slice(0, 12)).problem, null);
});
