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

// Every code the panel's routes are documented to answer (proto/openapi.yaml: the
// routes' own descriptions and the shared responses they use) is said in plain words in
// both languages, never with the catch-all.
test("every refusal code of the panel's routes has its own words in Russian and English", () => {
  const spec = readFileSync(join(here, "..", "..", "..", "proto", "openapi.yaml"), "utf8");
  const routes = [
    ["get", "/api/roulette/state"], ["get", "/api/pool/me"], ["post", "/api/payouts/claim"], ["get", "/api/payouts/my-last"],
    ["post", "/api/gift-requests"], ["get", "/api/streamers/{streamerId}/gift-queue"],
  ];
  const codes = new Set();
  const refs = new Set();
  const cut = (text, from, next) => {
    const start = text.indexOf(from);
    if (start < 0) return "";
    const end = text.slice(start + from.length).search(next);
    return end < 0 ? text.slice(start) : text.slice(start, start + from.length + end);
  };
  for (const [method, r] of routes) {
    const block = cut(cut(spec, "\n  " + r + ":\n", /\n {2}\S/), "\n    " + method + ":\n", /\n {4}\S/);
    assert.ok(block, method + " " + r + " is in the spec");
    // Responses only: a route's description also names details.reason values.
    for (const m of block.matchAll(/'(4\d\d|5\d\d)':\s*(\{\$ref: '#\/components\/responses\/(\w+)'\}|\n\s+description: '([^']*)')/g)) {
      if (m[3]) refs.add(m[3]);
      for (const c of (m[4] ?? "").matchAll(/`([a-z_]+)`/g)) codes.add(c[1]);
    }
  }
  const responses = spec.slice(spec.indexOf("\n  responses:\n"), spec.indexOf("\n  schemas:\n"));
  for (const ref of refs) {
    const m = responses.match(new RegExp("\\n {4}" + ref + ":\\n\\s+description: '([^']*)'"));
    assert.ok(m, "components/responses/" + ref);
    for (const c of m[1].matchAll(/`([a-z_]+)`/g)) codes.add(c[1]);
  }
  // Codes of the Desktop's routes that share a response with the panel's (BadRequest).
  for (const desktopOnly of ["character_name_mismatch", "out_of_sequence"]) codes.delete(desktopOnly);
  assert.ok(codes.has("not_subscriber") && codes.has("gift_request_exists") && codes.has("rate_limited"), [...codes].join(","));
  for (const c of codes) {
    for (const lang of ["en", "ru"]) {
      const d = dictionaries[lang];
      assert.ok(c in d.codes, `${lang}: no words for ${c}`);
      assert.notEqual(describeCode(d, c), d.codes.other, `${lang}: ${c} falls back to the catch-all`);
    }
  }
});
