// Mimiron's Gold-o-Matic panel logic, free of the DOM so node --test can check it.
// Loaded by panel.html as a classic script (window.MGM) and by tests with require().
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.MGM = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // The announcement the backend posts to chat; kept here verbatim so the panel and
  // the chat line always agree (docs/product.md §7).
  function rewardText(characterName) {
    return "Награда отправлена персонажу " + characterName + " на почту, проверяй ящик!";
  }

  // Offset between the server's clock and ours, from one state answer.
  function clockOffsetMs(serverNowIso, clientNowMs) {
    return Date.parse(serverNowIso) - clientNowMs;
  }

  // Seconds left until nextSpinAt, by the server's clock, never negative.
  function secondsLeft(nextSpinAtIso, clientNowMs, offsetMs) {
    var left = Date.parse(nextSpinAtIso) - (clientNowMs + offsetMs);
    return Math.max(0, Math.ceil(left / 1000));
  }

  function formatCountdown(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  var phaseText = {
    idle: "Пул пуст — напиши !twgold <Имя> в чате",
    collecting: "Ждём следующий розыгрыш",
    spinning: "Крутим рулетку…",
    verification: "Проверяем, что победитель в игре…",
    completed: "Розыгрыш завершён",
  };

  function describePhase(phase) {
    return phaseText[phase] || phase;
  }

  function describeLastSpin(last) {
    if (!last) return "";
    switch (last.outcome) {
      case "winner": return "Последний победитель: " + last.characterName;
      case "offline": return last.characterName + " был не в игре — без победителя";
      case "no_report": return "Проверка не пришла — без победителя";
      default: return "";
    }
  }

  var statusText = {
    Pending: "Ты выиграл! Ответь стримеру в игре шёпотом: !twgold",
    InProgress: "Стример готовит письмо с золотом",
    Failed: "Не получилось отправить — стример свяжется с тобой",
    Cancelled: "Выплата отменена",
    Expired: "Выплата истекла",
  };

  function describePayout(p) {
    if (!p) return "";
    if (p.status === "Sent") return rewardText(p.characterName);
    return statusText[p.status] || p.status;
  }

  // Backoff after a failed poll (429, 503, network): exponential from 2 s, capped at
  // 60 s; Retry-After wins when the server gives one.
  function backoffMs(failures, retryAfterSeconds) {
    if (retryAfterSeconds > 0) return Math.min(retryAfterSeconds, 60) * 1000;
    var ms = 2000 * Math.pow(2, Math.max(0, failures - 1));
    return Math.min(ms, 60000);
  }

  return {
    rewardText: rewardText,
    clockOffsetMs: clockOffsetMs,
    secondsLeft: secondsLeft,
    formatCountdown: formatCountdown,
    describePhase: describePhase,
    describeLastSpin: describeLastSpin,
    describePayout: describePayout,
    backoffMs: backoffMs,
  };
});
