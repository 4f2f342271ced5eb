// Mimiron's Gold-o-Matic — the streamer's window. Plain JS, no build step. Every text
// that comes from the backend or the log goes in through textContent, never as HTML.
"use strict";

const $ = (s) => document.querySelector(s);
let selected = new Set();
let settingsLoaded = false;

async function post(path, body) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-MGM-Desktop": "1" },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await r.json(); } catch (e) { /* empty */ }
  if (!r.ok || data.ok === false) throw new Error(data.message || ("HTTP " + r.status));
  return data;
}

function toast(msg, isError) {
  const t = $("#toast");
  t.textContent = msg;
  t.className = isError ? "error" : "";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.add("hidden"), 6000);
}

async function act(fn, okMsg) {
  try {
    const d = await fn();
    toast(d && d.message ? d.message : okMsg);
  } catch (e) {
    toast(e.message, true);
  }
  refresh();
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

function light(id, st) {
  const n = $(id);
  n.className = "light " + (st.level || "unknown");
  n.querySelector(".txt").textContent = st.text || "";
}

function when(s) {
  if (!s) return "";
  const d = new Date(s);
  return d.toLocaleTimeString();
}

function renderPayouts(list) {
  const body = $("#payouts tbody");
  body.replaceChildren();
  const ids = new Set(list.map((p) => p.id));
  selected = new Set([...selected].filter((id) => ids.has(id)));
  for (const p of list) {
    const cb = el("input", { type: "checkbox", "data-id": p.id, onchange: (e) => {
      if (e.target.checked) selected.add(p.id); else selected.delete(p.id);
    } });
    cb.checked = selected.has(p.id);
    const acc = p.accepted
      ? el("span", { class: "acc-yes" }, "✓ accepted " + when(p.acceptedAt))
      : el("span", { class: "acc-no" }, p.notified ? "whispered, waiting for !twgold"
        : p.status === "Pending" ? "consent whisper not sent yet" : "no consent recorded");
    const btn = (label, status, enabled) => {
      const b = el("button", { class: "small", "data-action": status, "data-id": p.id, onclick: () => {
        if (status === "Cancelled" && !confirm("Cancel the payout to " + p.characterName + "?")) return;
        act(() => post("/ui/payouts/" + encodeURIComponent(p.id) + "/status", { status }), "");
      } }, label);
      b.disabled = !enabled;
      return b;
    };
    const pending = p.status === "Pending", inprog = p.status === "InProgress";
    body.append(el("tr", { "data-id": p.id },
      el("td", {}, cb),
      el("td", {}, el("b", {}, p.characterName)),
      el("td", {}, p.twitchDisplayName || ""),
      el("td", {}, String(p.goldAmount || 1000) + " g"),
      el("td", {}, el("span", { class: "badge " + p.status }, p.status)),
      el("td", {}, acc),
      el("td", {}, when(p.createdAt)),
      el("td", { class: "actions" },
        btn("Mark Sent", "Sent", inprog), " ",
        btn("Mark Failed", "Failed", pending || inprog), " ",
        btn("Cancel", "Cancelled", pending || inprog), " ",
        btn("Unlock", "Pending", inprog)),
    ));
  }
  $("#no-payouts").classList.toggle("hidden", list.length > 0);
  $("#payouts").classList.toggle("hidden", list.length === 0);
}

function clock(deadline) {
  if (!deadline) return null;
  const left = Math.ceil((new Date(deadline).getTime() - Date.now()) / 1000);
  if (left <= 0) return { text: "time is up", late: true };
  const m = Math.floor(left / 60), sec = String(left % 60).padStart(2, "0");
  return { text: m + ":" + sec + " left", late: left <= 10 };
}

function itemText(it) {
  return it.name + (it.count > 1 ? " ×" + it.count : "");
}

function renderGiftActive(g) {
  const box = $("#gift-active");
  if (!g) {
    box.classList.add("hidden");
    box.replaceChildren();
    return;
  }
  box.classList.remove("hidden");
  box.dataset.id = g.id;
  const c = clock(g.deadlineAt);
  const what = g.status === "SelectingItem" ? " to pick an item" : g.acceptedAt ? "" : " for consent";
  const head = el("div", { class: "head" },
    el("span", { class: "who" }, "Gift to ", el("b", {}, g.characterName)),
    el("span", { class: "muted" }, "asked by " + (g.twitchDisplayName || "a viewer")),
    el("span", { class: "badge " + g.status }, g.status),
    el("span", { class: "clock" + (c && c.late ? " late" : "") }, c ? c.text + what : ""),
    el("span", { class: "grow" }),
    el("button", { id: "btn-gift-fail", class: "small", onclick: () => {
      if (!confirm("Skip the gift to " + g.characterName + "? The request fails.")) return;
      act(() => post("/ui/gifts/" + encodeURIComponent(g.id) + "/fail"), "");
    } }, "Skip / fail"));
  let hint;
  if (g.status === "SelectingItem") {
    if (!g.itemsAsked) hint = "Asking the game for your giftable items… (is WoW running?)";
    else if (!g.itemsSeen) hint = "Asked the game for your giftable items; waiting for the list in the chat log.";
    else if (g.items.length === 0) hint = "No giftable item in your bags: the request fails.";
    else hint = "Pick the item to give (within 60 s). The addon then whispers " + g.characterName + " for consent.";
  } else if (g.acceptedAt) {
    hint = "✓ " + g.characterName + " accepted at " + when(g.acceptedAt) +
      ". In game: open a mailbox, press Prepare Mail on the addon's panel, then Send.";
  } else {
    hint = (g.consentAsked ? "Consent whisper sent" : "Consent whisper not typed yet (is WoW running?)") +
      "; waiting for " + g.characterName + " to answer !twgift.";
  }
  const items = el("div", { id: "gift-items" });
  for (const it of g.items || []) {
    const chosen = g.itemId === it.itemId;
    const b = el("button", { class: "item" + (chosen ? " chosen" : ""), "data-item-id": String(it.itemId),
      title: "item " + it.itemId, onclick: () => act(() => post("/ui/gifts/" + encodeURIComponent(g.id) + "/select",
        { itemId: it.itemId }), "") },
    el("span", { class: "q" + (it.quality || 0) }, itemText(it)));
    b.disabled = g.status !== "SelectingItem";
    items.append(b);
  }
  const parts = [head, el("p", { class: "hint" }, hint)];
  if (g.status !== "SelectingItem" && g.itemId) {
    parts.push(el("p", {}, "Gift: ", el("b", {}, (g.itemName || "item " + g.itemId) + (g.itemCount > 1 ? " ×" + g.itemCount : ""))));
  }
  if ((g.items || []).length > 0) parts.push(items);
  box.replaceChildren(...parts);
}

function renderGifts(st) {
  const gifts = st.gifts || [];
  const gs = st.giftStatus || {};
  $("#gift-status").textContent = gs.level === "ok" ? "" : (gs.text || "");
  $("#gift-status").className = gs.level === "error" ? "warnline" : "muted";
  const active = gifts.find((g) => g.status !== "Pending");
  renderGiftActive(active);
  const pending = gifts.filter((g) => g.status === "Pending");
  const body = $("#gift-pending tbody");
  body.replaceChildren(...pending.map((g) => el("tr", { "data-id": g.id },
    el("td", {}, String(g.position)),
    el("td", {}, el("b", {}, g.characterName)),
    el("td", {}, g.twitchDisplayName || ""),
    el("td", {}, when(g.createdAt)))));
  $("#gift-pending").classList.toggle("hidden", pending.length === 0);
  $("#no-gifts").classList.toggle("hidden", gifts.length > 0);
  const alerts = st.giftAlerts || [];
  $("#gift-alerts").replaceChildren(...alerts.map((a) => el("li", { "data-key": a.key },
    el("span", {}, "⚠ " + when(a.at) + " — " + a.text),
    el("button", { class: "small", onclick: () => act(() => post("/ui/gift-alerts/dismiss", { key: a.key }), "") }, "Dismiss"))));
}

function renderCommands(list) {
  $("#commands-box").classList.toggle("hidden", list.length === 0);
  $("#commands").replaceChildren(...list.map((c) => el("li", { "data-id": c.id, class: c.state === "failed" ? "error" : "" },
    el("span", {}, c.text + " — " + c.state + (c.attempts ? " (typed " + c.attempts + "×)" : "") + (c.note ? ": " + c.note : "")),
    c.state === "failed" ? el("button", { class: "small", onclick: () => act(() => post("/ui/commands/" + c.id + "/retry"), "") }, "Retry") : "")));
}

function renderEvents(list) {
  const ol = $("#events");
  ol.replaceChildren(...list.map((e) =>
    el("li", { class: e.level }, el("span", { class: "t" }, when(e.at)), e.text)));
}

function fillSettings(s, keySet) {
  const f = $("#settings");
  f.apiBaseUrl.value = s.apiBaseUrl || "";
  f.wowDir.value = s.wowDir || "";
  f.logPath.value = s.logPath || "";
  f.injectionStrategy.value = s.injectionStrategy || "postmessage";
  f.processName.value = s.processName || "";
  f.giftsEnabled.checked = !!s.giftsEnabled;
  f.apiKey.value = "";
  f.apiKey.placeholder = keySet ? "(stored — leave empty to keep)" : "(not set)";
}

function renderClients(list) {
  const box = $("#clients");
  box.classList.toggle("hidden", list.length === 0);
  const ul = box.querySelector("ul");
  ul.replaceChildren(...list.map((c) => el("li", {},
    el("button", { "data-pid": String(c.pid), onclick: () => act(() => post("/ui/game", { pid: c.pid }), "") }, "Use this one"),
    " " + (c.image || "?") + " (pid " + c.pid + ")" + (c.title ? " — " + c.title : ""))));
}

async function refresh() {
  let st;
  try {
    const r = await fetch("/ui/state");
    st = await r.json();
  } catch (e) {
    light("#st-api", { level: "error", text: "the Desktop itself is not answering" });
    return;
  }
  light("#st-wow", st.wow);
  light("#st-api", st.api);
  light("#st-log", st.log);
  light("#st-bridge", st.bridge);
  light("#st-pair", st.refused ? { level: st.pairing.level === "ok" ? "warn" : st.pairing.level,
    text: st.pairing.text + " · " + st.refused + " tag line(s) refused since start (see the event log)" } : st.pairing);
  renderClients(st.clients || []);
  renderPayouts(st.payouts || []);
  renderGifts(st);
  renderCommands(st.commands || []);
  renderEvents(st.events || []);
  const c = st.candidate;
  $("#candidate").textContent = c ? "Spin in progress: checking " + c.characterName + " with /who" : "";
  const u = (st.undelivered || []).length;
  const ud = $("#undelivered");
  ud.classList.toggle("hidden", u === 0);
  ud.textContent = u + " tag(s) seen in the chat log wait for the backend (retrying).";
  if (!settingsLoaded) {
    fillSettings(st.settings || {}, st.apiKeySet);
    settingsLoaded = true;
  }
  document.body.dataset.loaded = "1";
}

$("#btn-sync").addEventListener("click", () => act(() => post("/ui/sync", { ids: [...selected] }), "synced"));
$("#btn-ping").addEventListener("click", () => act(() => post("/ui/ping"), "self-test started"));
$("#btn-pair").addEventListener("click", () => act(() => post("/ui/pair"), "pairing started"));
$("#btn-refresh").addEventListener("click", () => act(() => post("/ui/refresh"), "refreshing"));
$("#sel-all").addEventListener("change", (e) => {
  document.querySelectorAll("#payouts tbody input[type=checkbox]").forEach((cb) => {
    cb.checked = e.target.checked;
    if (cb.checked) selected.add(cb.dataset.id); else selected.delete(cb.dataset.id);
  });
});
$("#settings").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target;
  const body = {
    apiBaseUrl: f.apiBaseUrl.value, wowDir: f.wowDir.value, logPath: f.logPath.value,
    injectionStrategy: f.injectionStrategy.value, processName: f.processName.value,
    giftsEnabled: f.giftsEnabled.checked,
  };
  if (f.apiKey.value) body.apiKey = f.apiKey.value;
  post("/ui/settings", body).then((d) => {
    $("#settings-msg").textContent = d.message;
    settingsLoaded = false;
    refresh();
  }).catch((err) => { $("#settings-msg").textContent = err.message; });
});
$("#btn-test").addEventListener("click", () => {
  $("#settings-msg").textContent = "testing…";
  post("/ui/test-connection").then((d) => { $("#settings-msg").textContent = d.message; })
    .catch((err) => { $("#settings-msg").textContent = err.message; });
});

refresh();
setInterval(refresh, 1000);
