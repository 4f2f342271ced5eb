// Builds the panel (`make extension` runs this through scripts/build-extension.sh):
//   1. type-checks src/ with tsc (the source is TypeScript, strict);
//   2. bundles src/main.ts into one classic script with esbuild (no inline script:
//      Twitch's Content Security Policy for hosted extensions forbids it);
//   3. writes dist/extension/: panel.html, panel.js, panel.css and config.js, whose
//      backend address comes from MGM_EBS_URL (configuration, not edited source);
//   4. bundles src/core.ts to build/core.mjs for the unit tests and the benchmark.
// The zip itself is made by scripts/build-extension.sh from dist/extension/.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.env.MGM_EXTENSION_OUT || join(here, "..", "dist", "extension");
const coreOnly = process.argv.includes("--core");

execFileSync(process.execPath, [join(here, "node_modules", "typescript", "bin", "tsc"), "-p", join(here, "tsconfig.json")], {
  stdio: "inherit",
});

await esbuild.build({
  entryPoints: [join(here, "src", "core.ts")],
  outfile: join(here, "build", "core.mjs"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2020",
  logLevel: "warning",
});
if (coreOnly) process.exit(0);

const ebs = process.env.MGM_EBS_URL || "http://127.0.0.1:8080";
let url;
try {
  url = new URL(ebs);
} catch {
  console.error(`build-extension: MGM_EBS_URL=${JSON.stringify(ebs)} is not a URL`);
  process.exit(2);
}
if (url.protocol !== "https:" && url.hostname !== "127.0.0.1" && url.hostname !== "localhost") {
  console.error("build-extension: MGM_EBS_URL must be https:// (Twitch only allows HTTPS backends)");
  process.exit(2);
}
if (!process.env.MGM_EBS_URL) {
  console.error("build-extension: MGM_EBS_URL is unset; the panel will call http://127.0.0.1:8080 (local testing only)");
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(out, "panel.js"),
  bundle: true,
  format: "iife",
  target: "es2020",
  // Not minified: Twitch reviews the uploaded code and wants it readable.
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(join(here, "src", "panel.html"), join(out, "panel.html"));
copyFileSync(join(here, "src", "panel.css"), join(out, "panel.css"));
const origin = url.origin + url.pathname.replace(/\/+$/, "");
writeFileSync(
  join(out, "config.js"),
  "// Written by `make extension` from MGM_EBS_URL.\nwindow.MGM_CONFIG = " + JSON.stringify({ ebsUrl: origin }) + ";\n",
);
console.log(`build-extension: panel for ${origin} in ${out}`);
