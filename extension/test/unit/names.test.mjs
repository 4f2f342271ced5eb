import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkName, describeCode, dictionaries, trimGo } from "../../build/core.mjs";

// The one table of name cases the backend (pkg/domain), the addon and the Desktop run.
const here = dirname(fileURLToPath(import.meta.url));
const table = JSON.parse(readFileSync(join(here, "..", "..", "..", "pkg", "domain", "testdata", "names.json"), "utf8"));

function input(c) {
  if (c.inHex === undefined) return c.in;
  // An input field never holds invalid UTF-8; decoded, its bytes become U+FFFD.
  return new TextDecoder("utf-8", { fatal: false }).decode(Uint8Array.from(c.inHex.match(/../g).map((h) => parseInt(h, 16))));
}

test("checkName agrees with pkg/domain on every case of names.json", () => {
  assert.ok(table.names.length > 40);
  for (const c of table.names) {
    const got = checkName(input(c));
    const label = `${JSON.stringify(c.in ?? c.inHex)} (${c.note ?? ""})`;
    if (c.reason) {
      assert.equal(got.problem, c.reason, label);
    } else {
      assert.equal(got.problem, null, label);
      assert.equal(got.name, c.display, label);
    }
  }
});

test("trimGo trims what Go's strings.TrimSpace trims, not what JavaScript's trim does", () => {
  assert.equal(trimGo("\u0085Norinn\u3000"), "Norinn");
  assert.equal(trimGo("\uFEFFNorinn"), "\uFEFFNorinn");
  assert.equal(checkName("\uFEFFNorinn").problem, "invalid_character");
});

test("a lone surrogate is not a letter", () => {
  assert.equal(checkName("No\uD800rinn").problem, "invalid_character");
});

test("a server refusal of a name is said with the game's own text for its reason", () => {
  const en = dictionaries.en;
  const ru = dictionaries.ru;
  assert.equal(describeCode(en, "invalid_character_name", { reason: "mixed_languages" }), "Names must contain only one language");
  assert.equal(describeCode(ru, "invalid_character_name", { reason: "three_consecutive" }), "Вы не можете использовать один и тот же символ три раза подряд");
  assert.equal(describeCode(en, "invalid_character_name", { reason: "something_new" }), en.codes.invalid_character_name);
  assert.equal(describeCode(en, "no_such_code"), en.codes.other);
});
