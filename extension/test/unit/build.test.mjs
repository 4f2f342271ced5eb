// The upload Twitch reviews (make extension): checked in make test right after the build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const zip = join(root, "dist", "mgm-extension.zip");
const html = join(root, "dist", "extension", "panel.html");

test("the zip holds the four panel files at its root and nothing else", () => {
  assert.ok(existsSync(zip), "run make extension (scripts/build-extension.sh) first");
  const names = execFileSync("unzip", ["-Z1", zip], { encoding: "utf8" }).trim().split("\n").sort();
  assert.deepEqual(names, ["config.js", "panel.css", "panel.html", "panel.js"]);
});

test("the page loads Twitch's helper from its CDN first and has no inline script or handler", () => {
  const page = readFileSync(html, "utf8");
  const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 3);
  assert.match(scripts[0][1], /src="https:\/\/extension-files\.twitch\.tv\/helper\/v1\/twitch-ext\.min\.js"/);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\ssrc="/, "every script has a src");
    assert.equal(body.trim(), "", "no inline script");
  }
  assert.doesNotMatch(page, /\son[a-z]+\s*=/i, "no inline event handler");
  assert.doesNotMatch(page, /\sstyle\s*=/i, "no inline style");
  assert.doesNotMatch(page, /<link[^>]+href="https?:/i, "no remote stylesheet");
});

test("the backend's address comes from configuration, not from the bundled code", () => {
  const config = readFileSync(join(root, "dist", "extension", "config.js"), "utf8");
  assert.match(config, /window\.MGM_CONFIG = \{"ebsUrl":"https?:\/\/[^"]+"\};/);
  const panel = readFileSync(join(root, "dist", "extension", "panel.js"), "utf8");
  assert.doesNotMatch(panel, /https?:\/\/(127\.0\.0\.1|localhost|mgm\.example\.com)/, "no backend address in panel.js");
});
