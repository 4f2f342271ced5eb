// A stand-in for Twitch's Extension helper (twitch-ext.min.js), served in place of the
// CDN file during the browser tests. It follows the helper's documented behaviour
// (https://dev.twitch.tv/docs/extensions/reference/#javascript-helper) as far as the
// panel depends on it:
//   - onAuthorized fires with a fresh JWT: HS256 over the base64-decoded extension
//     secret, with the claims of the JWT schema
//     (https://dev.twitch.tv/docs/extensions/reference/#jwt-schema): exp, opaque_user_id
//     ("U…" logged in, "A…" logged out), user_id only once the viewer shared their
//     identity, channel_id, role "viewer", is_unlinked, pubsub_perms.listen;
//   - actions.requestIdShare() makes onAuthorized fire again, now with user_id (the
//     viewer granted it in Twitch's dialog); a logged-out viewer gets no token change;
//   - onContext delivers the theme; onVisibilityChanged the panel being shown or hidden;
//   - listen(target, cb) delivers the Extension PubSub messages the fake Helix accepted
//     for "broadcast" and for "whisper-<opaque id>", as (target, contentType, message).
// The tests configure it through window.__FAKE_TWITCH__ (set by page.addInitScript)
// and steer it through window.__fakeTwitch.
(function () {
  "use strict";
  var cfg = window.__FAKE_TWITCH__;
  if (!cfg) throw new Error("fake Twitch helper: window.__FAKE_TWITCH__ is not set");

  var loggedIn = cfg.loggedIn !== false;
  var shared = loggedIn && !!cfg.shared;
  // Opaque ids are per extension and never equal the Twitch user id.
  var opaqueId = loggedIn ? "U" + "op" + cfg.userId : "A" + "anon" + Math.floor(Math.random() * 1e9);
  var ctx = { theme: cfg.theme || "dark", language: cfg.language || "en", mode: "viewer", isFullScreen: false };
  var visible = true;
  var authCbs = [], contextCbs = [], visCbs = [], errorCbs = [], listeners = [];
  var log = { requestIdShare: 0, authorized: 0, listen: [] };

  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function b64urlText(text) {
    return b64url(new TextEncoder().encode(text));
  }
  var key = Uint8Array.from(atob(cfg.secret), function (c) { return c.charCodeAt(0); });
  var keyP = crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

  function mint() {
    var claims = {
      exp: Math.floor(Date.now() / 1000) + 3600,
      opaque_user_id: opaqueId,
      channel_id: cfg.channelId,
      role: "viewer",
      is_unlinked: !shared,
      pubsub_perms: { listen: ["broadcast", "whisper-" + opaqueId, "global"], send: [] },
    };
    if (shared) claims.user_id = String(cfg.userId);
    var input = b64urlText(JSON.stringify({ alg: "HS256", typ: "JWT" })) + "." + b64urlText(JSON.stringify(claims));
    return keyP.then(function (k) {
      return crypto.subtle.sign("HMAC", k, new TextEncoder().encode(input));
    }).then(function (sig) {
      return input + "." + b64url(new Uint8Array(sig));
    });
  }

  function authorize() {
    return mint().then(function (token) {
      log.authorized++;
      var auth = { channelId: cfg.channelId, clientId: cfg.clientId, token: token, helixToken: "fake-helix-token", userId: opaqueId };
      authCbs.forEach(function (cb) { cb(auth); });
    });
  }

  // Deliver what the fake Helix accepted, in order, to matching listeners.
  var after = 0;
  function pollPubSub() {
    fetch(cfg.pubsubUrl + "?after=" + after, { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (msgs) {
        msgs.forEach(function (m) {
          after = Math.max(after, m.seq);
          if (m.broadcasterId !== cfg.channelId) return;
          if (m.target !== "broadcast" && m.target !== "whisper-" + opaqueId) return;
          listeners.forEach(function (l) {
            if (l.target === m.target) l.cb(m.target, "application/json", m.message);
          });
        });
      })
      .catch(function () {})
      .then(function () { setTimeout(pollPubSub, 150); });
  }

  var viewer = {
    get opaqueId() { return opaqueId; },
    get id() { return shared ? String(cfg.userId) : null; },
    get role() { return "viewer"; },
    get isLinked() { return shared; },
    onChanged: function () {},
  };

  window.Twitch = {
    ext: {
      version: "1.1.1-fake",
      environment: "production",
      viewer: viewer,
      onAuthorized: function (cb) {
        authCbs.push(cb);
        setTimeout(authorize, 10);
      },
      onContext: function (cb) {
        contextCbs.push(cb);
        setTimeout(function () { cb(ctx, ["theme", "language", "mode"]); }, 5);
      },
      onVisibilityChanged: function (cb) { visCbs.push(cb); },
      onError: function (cb) { errorCbs.push(cb); },
      onHighlightChanged: function () {},
      onPositionChanged: function () {},
      listen: function (target, cb) {
        log.listen.push(target);
        listeners.push({ target: target, cb: cb });
      },
      unlisten: function (target, cb) {
        listeners = listeners.filter(function (l) { return l.target !== target || l.cb !== cb; });
      },
      send: function () { throw new Error("fake Twitch helper: send is not emulated"); },
      actions: {
        requestIdShare: function () {
          log.requestIdShare++;
          if (!loggedIn || shared) return;
          shared = true;
          setTimeout(authorize, 50);
        },
        followChannel: function () {},
        minimize: function () {},
        onFollow: function () {},
        requestIdShareForUser: function () {},
      },
      configuration: { onChanged: function () {}, set: function () {}, broadcaster: null, developer: null, global: null },
      features: { isChatEnabled: true, onChanged: function () {} },
      bits: { getProducts: function () { return Promise.resolve([]); }, onTransactionComplete: function () {} },
    },
  };

  window.__fakeTwitch = {
    log: log,
    get opaqueId() { return opaqueId; },
    setTheme: function (theme) {
      ctx = Object.assign({}, ctx, { theme: theme });
      contextCbs.forEach(function (cb) { cb(ctx, ["theme"]); });
    },
    setVisible: function (v) {
      visible = v;
      visCbs.forEach(function (cb) { cb(visible, ctx); });
    },
    error: function (e) { errorCbs.forEach(function (cb) { cb(e); }); },
    reauthorize: authorize,
  };
  if (cfg.pubsubUrl) pollPubSub();
})();
