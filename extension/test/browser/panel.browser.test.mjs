// The built panel (dist/extension) in Debian's Chromium, against the whole backend in
// one process, started by services/mgm/paneltest (which passes MGM_PANEL_HARNESS).
// Twitch's helper is replaced by fake-twitch-ext.js; everything else is real: the
// gateway, the services, NATS, PostgreSQL, CORS, the JWT checks, the rate limits.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
if (!process.env.MGM_PANEL_HARNESS) {
  throw new Error("run through the Go test services/mgm/paneltest (make test), which starts the backend");
}
const H = JSON.parse(process.env.MGM_PANEL_HARNESS);
const HELPER_URL = "https://extension-files.twitch.tv/helper/v1/twitch-ext.min.js";
const fakeHelper = readFileSync(join(here, "fake-twitch-ext.js"), "utf8");

let context;

before(async () => {
  // Flags as the machine's notes ask: no network beyond loopback, a new empty profile.
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "mgm-panel-chromium-")), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 318, height: 496 },
  });
});

after(async () => {
  await context?.close();
});

/** openPanel opens the panel as one viewer; it records every request to the backend. */
async function openPanel({ userId, loggedIn = true, shared = true, theme = "dark", language = "en", reducedMotion = "no-preference" }) {
  const page = await context.newPage();
  await page.emulateMedia({ reducedMotion });
  const requests = [];
  page.on("request", (r) => {
    if (r.url().startsWith(H.apiUrl) && r.method() !== "OPTIONS") {
      requests.push({ method: r.method(), path: new URL(r.url()).pathname, at: Date.now() });
    }
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.route(HELPER_URL, (route) => route.fulfill({ status: 200, contentType: "text/javascript", body: fakeHelper }));
  await page.addInitScript((cfg) => {
    window.__FAKE_TWITCH__ = cfg;
  }, {
    secret: H.secret, channelId: H.channelId, clientId: H.clientId, userId, loggedIn, shared, theme, language,
    pubsubUrl: H.controlUrl + "/pubsub",
  });
  // Twitch opens panels with these query parameters.
  await page.goto(`${H.panelUrl}?anchor=panel&language=${language}&locale=${language}&mode=viewer&platform=web&state=released`);
  return { page, requests, errors };
}

async function shot(page, name) {
  await page.screenshot({ path: join(H.screenshots, name + ".png") });
}

async function control(path, body) {
  const r = await fetch(H.controlUrl + path, { method: "POST", body: JSON.stringify(body ?? {}) });
  assert.ok(r.ok, `${path}: ${r.status}`);
}

async function desktop(method, path, body) {
  const r = await fetch(H.gatewayUrl + path, {
    method,
    headers: { "X-MGM-ApiKey": H.apiKey, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const text = (page, sel) => page.locator(sel).innerText();
const visible = (page, sel) => page.locator(sel).isVisible();

async function until(what, f, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

async function fitsThePanel(page) {
  const size = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
  assert.ok(size.w <= 318, `panel is ${size.w} px wide`);
  assert.ok(size.h <= 496, `panel is ${size.h} px tall`);
}

test("a viewer who has not shared identity sees the draw and one button to share, and no identity route is called", async () => {
  const { page, requests, errors } = await openPanel({ userId: "3001", shared: false });
  await until("countdown", async () => /^\d\d:\d\d$/.test(await text(page, "#countdown")));
  assert.match(await text(page, "#pool"), /In the pool: \d+/);
  assert.notEqual(await text(page, "#phase"), "");
  assert.match(await text(page, "#rules"), /subscribers only/i);
  assert.match(await text(page, "#rules"), /1,000 gold/);
  assert.ok(await visible(page, "#share"));
  assert.equal(await visible(page, "#join"), false);
  await fitsThePanel(page);
  await shot(page, "01-not-linked");
  assert.deepEqual([...new Set(requests.map((r) => r.path))], ["/api/roulette/state"]);
  // The ticking countdown is a timer, never a live region.
  assert.equal(await page.getAttribute("#countdown", "role"), "timer");
  assert.equal(await page.getAttribute("#countdown", "aria-live"), null);
  assert.equal(await page.locator("#countdown").evaluate((el) => el.closest("[aria-live]")), null);

  await page.click("#share");
  assert.equal(await page.evaluate(() => window.__fakeTwitch.log.requestIdShare), 1);
  await until("join form after sharing", () => visible(page, "#join"));
  assert.equal(await visible(page, "#share"), false);
  assert.ok(requests.some((r) => r.path === "/api/pool/me"), "the viewer's own state is read once shared");
  await shot(page, "02-shared-join-form");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a logged-out viewer is told to log in and still sees the countdown", async () => {
  const { page, requests } = await openPanel({ userId: "0", loggedIn: false, language: "ru" });
  await until("countdown", async () => /^\d\d:\d\d$/.test(await text(page, "#countdown")));
  assert.equal(await text(page, "#identity-text"), "Войди в Twitch, чтобы участвовать.");
  assert.equal(await visible(page, "#share"), false);
  assert.match(await text(page, "#pool"), /В пуле: \d+/);
  assert.equal(await page.getAttribute("html", "lang"), "ru");
  await fitsThePanel(page);
  await shot(page, "03-logged-out-ru");
  assert.ok(requests.every((r) => r.path === "/api/roulette/state"), JSON.stringify(requests));
  await page.close();
});

test("enrolling: a bad name is caught before sending, refusals are said in plain words, then the viewer is in", async () => {
  await control("/chat", { userId: "3099", text: "!twgold Thrall" }); // another viewer holds Thrall
  const { page, requests } = await openPanel({ userId: "3002" });
  await until("join form", () => visible(page, "#join"));

  await page.fill("#join-name", "N0rinn");
  await page.click("#join-button");
  assert.equal(await text(page, "#join-msg"), "Names can only contain letters");
  assert.equal(requests.filter((r) => r.method === "POST").length, 0, "nothing is sent for a name the rules refuse");

  await page.fill("#join-name", "Thrаll"); // a Cyrillic а: no character can have it
  await page.click("#join-button");
  assert.equal(await text(page, "#join-msg"), "Names must contain only one language");
  assert.equal(requests.filter((r) => r.method === "POST").length, 0, "nothing is sent for a name the rules refuse");

  await page.fill("#join-name", "Norinn");
  await page.click("#join-button");
  await until("not_subscriber", async () => (await text(page, "#join-msg")) === "Only subscribers of the channel can take part.");
  await shot(page, "04-refused-not-subscriber");

  await control("/subscriber", { userId: "3002", tier: "1000" });
  await page.fill("#join-name", "thrall");
  await page.click("#join-button");
  await until("name taken", async () => (await text(page, "#join-msg")) === "Another viewer already uses that name.");

  await page.fill("#join-name", "Norinn");
  await page.click("#join-button");
  await until("enrolled", async () => (await text(page, "#enrolled")).startsWith("You are in the pool as Norinn"));
  assert.equal(await visible(page, "#join"), false);
  assert.equal(requests.filter((r) => r.method === "POST").length, 3);
  // The pool size reaches the panel by broadcast (Extension PubSub), not by a read.
  const reads = requests.filter((r) => r.method === "GET").length;
  await until("pool size pushed", async () => (await text(page, "#pool")) === "In the pool: 2");
  assert.equal(requests.filter((r) => r.method === "GET").length, reads, "no read: the broadcast carried it");
  await fitsThePanel(page);
  await shot(page, "05-enrolled");
  await page.close();
});

test("a win is pushed to the winner: what to whisper, then accepted, then sent with the announcement line", async () => {
  // Its own viewer, joined in chat: no scenario relies on another one's viewer.
  await control("/subscriber", { userId: "3007", tier: "1000" });
  await control("/chat", { userId: "3007", text: "!twgold Kaelira" });
  const { page, requests } = await openPanel({ userId: "3007" });
  await until("enrolled", async () => (await text(page, "#enrolled")).startsWith("You are in the pool as Kaelira"));
  const loaded = Date.now();
  // Count the wheel's spins (this viewer has no reduced-motion preference).
  await page.evaluate(() => {
    const w = document.getElementById("wheel");
    window.__spins = [];
    new MutationObserver(() => {
      if (w.classList.contains("spin")) window.__spins.push(getComputedStyle(w).animationName);
    }).observe(w, { attributes: true, attributeFilter: ["class"] });
  });
  // The Desktop: every candidate is reported online (a winner with a payout is not
  // drawn again), so Kaelira wins within three cycles (Thrall and Norinn are in the pool too).
  let payout = null;
  const end = Date.now() + 8 * H.spinSeconds * 1000;
  while (!payout && Date.now() < end) {
    const c = await desktop("GET", "/api/roulette/candidate");
    if (c.status === 200) {
      const r = await desktop("POST", "/api/roulette/verify-candidate", {
        schemaVersion: 1, spinCycleId: c.body.spinCycleId, characterName: c.body.characterName, online: true,
        capturedAt: new Date().toISOString(),
      });
      if (c.body.characterName === "Kaelira" && r.body?.payout) payout = r.body.payout;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.ok(payout, "Kaelira was drawn and verified");

  await until("won", async () => (await text(page, "#payout-title")) === "You won 1,000 gold for Kaelira!");
  assert.equal(await text(page, "#payout-text"), "Answer the streamer's whisper in the game: !twgold");
  assert.equal(await text(page, "#announce"), "You won! Character Kaelira. Whisper !twgold back in the game.");
  // Everyone's part of the panel shows the draw too: the wheel spun, the last result.
  const spins = await page.evaluate(() => window.__spins);
  assert.ok(spins.length >= 1 && spins.every((a) => a === "spin"), JSON.stringify(spins));
  await until("last result", async () => (await text(page, "#last")) === "Last winner: Kaelira", 5_000);
  await fitsThePanel(page);
  await shot(page, "11-won");

  assert.equal((await desktop("POST", `/api/payouts/${payout.id}/confirm-acceptance`, { characterName: "Kaelira" })).status, 200);
  await until("accepted", async () => (await text(page, "#payout-text")) === "Accepted — the streamer is preparing your mail.");
  await shot(page, "12-accepted");

  assert.equal((await desktop("PATCH", `/api/payouts/${payout.id}/status`, { status: "InProgress" })).status, 200);
  assert.equal((await desktop("PATCH", `/api/payouts/${payout.id}/status`, { status: "Sent" })).status, 200);
  await until("sent", async () => (await text(page, "#payout-text")) === "Награда отправлена персонажу Kaelira на почту, проверяй ящик!");
  assert.equal(await page.getAttribute("#payout-text", "lang"), "ru");
  await fitsThePanel(page);
  await shot(page, "13-sent");
  assert.deepEqual(requests.filter((r) => r.at > loaded).map((r) => r.path), [], "every change came by push");
  await page.close();
});

test("asking for a gift shows the place in the queue", async () => {
  await control("/subscriber", { userId: "3003", tier: "1000" });
  const { page } = await openPanel({ userId: "3003" });
  await until("gift form", () => visible(page, "#gift-form"));
  await page.fill("#gift-name", "Jaina");
  await page.click("#gift-button");
  await until("gift queued", async () => /number 1 in the queue|picking an item/.test(await text(page, "#gift-text")));
  assert.equal(await visible(page, "#gift-form"), false);
  await fitsThePanel(page);
  await shot(page, "06-gift-requested");

  // The streamer gives it; the outcome reaches the panel by whisper.
  const list = await desktop("GET", "/api/gift-requests");
  const req = list.body.find((g) => g.characterName === "Jaina");
  assert.ok(req, JSON.stringify(list.body));
  assert.equal((await desktop("POST", `/api/gift-requests/${req.id}/select-item`, { itemId: 4306, itemName: "Silk Cloth", count: 1 })).status, 200);
  await until("consent asked", async () => (await text(page, "#gift-text")) === "Answer the streamer's whisper in the game: !twgift");
  assert.equal((await desktop("PATCH", `/api/gift-requests/${req.id}`, { status: "Completed" })).status, 200);
  await until("gift sent", async () => (await text(page, "#gift-text")).startsWith("Gift sent: Silk Cloth."));
  await shot(page, "06b-gift-sent");
  await page.close();
});

test("a 429 is shown with its Retry-After counting down and no write goes out meanwhile", async () => {
  const { page, requests } = await openPanel({ userId: "3004" });
  await until("join form", () => visible(page, "#join"));
  for (let i = 0; i < H.writesPerMin; i++) {
    await page.fill("#join-name", "Medivh" + "abcdefgh"[i]);
    await page.click("#join-button");
    await until("refusal " + i, async () => (await text(page, "#join-msg")) === "Only subscribers of the channel can take part.");
  }
  await page.fill("#join-name", "Khadgar");
  await page.click("#join-button");
  await until("429", async () => (await text(page, "#join-msg")).startsWith("Too many requests."));
  const first = await text(page, "#join-msg .secs");
  assert.match(first, /Try again in \d+ s/);
  assert.ok(await page.locator("#join-button").isDisabled());
  assert.ok(await page.locator("#gift-button").isDisabled(), "the limit covers every write");
  await shot(page, "07-rate-limited");
  const posts = requests.filter((r) => r.method === "POST").length;
  await page.locator("#join-button").click({ force: true }).catch(() => {});
  await new Promise((r) => setTimeout(r, 2100));
  const later = await text(page, "#join-msg .secs");
  assert.ok(Number(later.match(/\d+/)[0]) < Number(first.match(/\d+/)[0]), `${first} → ${later}`);
  assert.equal(requests.filter((r) => r.method === "POST").length, posts, "no write before Retry-After");
  await page.close();
});

test("with the backend down the panel says so, counts down its retry, and recovers when it is back", async () => {
  await control("/backend?up=false");
  const { page, requests } = await openPanel({ userId: "3005" });
  try {
    await until("offline banner", () => visible(page, "#error"));
    assert.equal(await text(page, "#error-text"), "Can't reach the server.");
    await until("retry countdown", async () => /Retrying in \d+ s/.test(await text(page, "#retry-in")));
    // (The countdown may still run: Twitch delivers the backend's broadcasts even while
    // the panel cannot reach the backend.)
    await fitsThePanel(page);
    await shot(page, "08-backend-down");
    assert.equal(await page.getAttribute("#error-text", "role"), "alert", "the error is announced");
    // Hidden (onVisibilityChanged false), the panel stops retrying.
    await page.evaluate(() => window.__fakeTwitch.setVisible(false));
    const hiddenAt = requests.length;
    await new Promise((r) => setTimeout(r, 5_000));
    assert.equal(requests.length, hiddenAt, "no request while hidden");
    await page.evaluate(() => window.__fakeTwitch.setVisible(true));
    await until("a retry once shown again", async () => requests.length > hiddenAt, 5_000);
  } finally {
    await control("/backend?up=true");
  }
  await until("recovered", async () => !(await visible(page, "#error")) && /^\d\d:\d\d$/.test(await text(page, "#countdown")), 40_000);
  await until("viewer's state", () => visible(page, "#join"));
  await shot(page, "09-backend-back");
  await page.close();
});

test("the light theme from onContext, in Russian, with reduced motion", async () => {
  await control("/chat", { userId: "3006", text: "!twgold валира" }); // joined in chat, in Cyrillic, lower case
  const { page } = await openPanel({ userId: "3006", theme: "light", language: "ru", reducedMotion: "reduce" });
  await until("enrolled", async () => (await text(page, "#enrolled")).startsWith("Ты в пуле как Валира"));
  assert.equal(await page.getAttribute("html", "data-theme"), "light");
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(255, 255, 255)");
  const anim = await page.evaluate(() => {
    const w = document.getElementById("wheel");
    w.classList.add("spin");
    return getComputedStyle(w).animationName;
  });
  assert.equal(anim, "none", "no spin animation under prefers-reduced-motion");
  await fitsThePanel(page);
  await shot(page, "10-light-ru");
  await page.evaluate(() => window.__fakeTwitch.setTheme("dark"));
  await until("dark again", async () => (await page.getAttribute("html", "data-theme")) === "dark");
  // Twitch's onError is said to the viewer (in the assertive live region).
  await page.evaluate(() => window.__fakeTwitch.error(new Error("helper failure")));
  assert.equal(await text(page, "#announce"), "Twitch сообщил об ошибке расширения.");
  await page.close();
});
