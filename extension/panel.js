// The viewer panel: countdown to the next spin by the server's clock, pool size, the
// last result, the viewer's enrollment and payout. Polls the gateway with the Twitch
// Extension token; on 429/503/network errors it backs off and offers Retry.
(function () {
  "use strict";
  var api = window.MGM_CONFIG.apiBase.replace(/\/$/, "");
  var token = null;
  var state = null;
  var offset = 0;
  var failures = 0;
  var timer = null;
  var $ = function (id) { return document.getElementById(id); };

  function get(path) {
    return fetch(api + path, { headers: { Authorization: "Bearer " + token } }).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) {
        var e = new Error("HTTP " + r.status);
        e.status = r.status;
        e.retryAfter = parseInt(r.headers.get("Retry-After") || "0", 10);
        throw e;
      }
      return r.json();
    });
  }

  function render() {
    if (!state) return;
    $("countdown").textContent = MGM.formatCountdown(MGM.secondsLeft(state.nextSpinAt, Date.now(), offset));
    $("phase").textContent = MGM.describePhase(state.spinPhase);
    $("pool").textContent = "В пуле: " + state.poolParticipantCount;
    $("last").textContent = MGM.describeLastSpin(state.lastSpin);
  }

  function poll() {
    clearTimeout(timer);
    Promise.all([get("/api/roulette/state"), get("/api/pool/me"), get("/api/payouts/my-last")])
      .then(function (res) {
        state = res[0];
        offset = MGM.clockOffsetMs(state.serverNow, Date.now());
        var me = res[1];
        $("enrolled").innerHTML = me && me.isEnrolled
          ? "Ты в пуле как <b></b>" : "Напиши в чате: <code>!twgold ИмяПерсонажа</code>";
        if (me && me.isEnrolled) $("enrolled").querySelector("b").textContent = me.characterName;
        $("payout").textContent = MGM.describePayout(res[2]);
        failures = 0;
        $("error").hidden = true;
        render();
        timer = setTimeout(poll, 5000);
      })
      .catch(function (e) {
        failures++;
        var wait = MGM.backoffMs(failures, e.retryAfter || 0);
        $("error").hidden = false;
        $("error").querySelector("span").textContent =
          "Сервер недоступен, повтор через " + Math.round(wait / 1000) + " с";
        timer = setTimeout(poll, wait);
      });
  }

  $("retry").addEventListener("click", function () { failures = 0; poll(); });
  setInterval(render, 250);
  window.Twitch.ext.onAuthorized(function (auth) {
    var first = token === null;
    token = auth.token;
    if (first) poll();
  });
})();
