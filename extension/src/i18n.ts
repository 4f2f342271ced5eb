// Every sentence the panel shows, in Russian and English. Twitch passes the viewer's
// UI language as the `language` query parameter of the panel's URL
// (https://dev.twitch.tv/docs/extensions/reference/#client-query-parameters).

import type { NameProblem } from "./names";

export type Lang = "ru" | "en";

/** langFromQuery picks Russian for any ru* language and English otherwise. */
export function langFromQuery(search: string): Lang {
  const p = new URLSearchParams(search);
  const l = (p.get("language") || p.get("locale") || "").toLowerCase();
  return l.startsWith("ru") ? "ru" : "en";
}

/** The announcement the backend posts to chat, verbatim (docs/product.md §7); it is
 * Russian whatever the panel's language, exactly as in chat. */
export function rewardLine(characterName: string): string {
  return "Награда отправлена персонажу " + characterName + " на почту, проверяй ящик!";
}

type Dict = {
  title: string;
  nextDraw: string;
  phase: Record<string, string>;
  pool: (n: number) => string;
  last: { winner: (n: string) => string; offline: (n: string) => string; no_report: string; none: string };
  rules: string[];
  share: string;
  shareWhy: string;
  loggedOut: string;
  joinLabel: string;
  joinButton: string;
  enrolledAs: (n: string) => string;
  rename: string;
  nameProblem: Record<NameProblem, string>;
  payout: {
    won: (n: string) => string;
    whisper: string;
    accepted: string;
    inProgress: string;
    failed: string;
    cancelled: string;
    expired: string;
    old: string;
  };
  winAnnouncement: (n: string) => string;
  giftTitle: string;
  giftButton: string;
  giftQueued: (pos: number, eta: string) => string;
  giftServing: string;
  giftWaitingConsent: string;
  giftCompleted: (item: string) => string;
  giftFailed: Record<string, string>;
  giftUsed: string;
  codes: Record<string, string>;
  retryIn: (s: number) => string;
  tryAgainIn: (s: number) => string;
  retryNow: string;
  offline: string;
  twitchError: string;
  eta: (s: number) => string;
  sending: string;
  ok: string;
};

const ru: Dict = {
  title: "Золото Мимирона",
  nextDraw: "До розыгрыша",
  phase: {
    idle: "Пул пуст — стань первым",
    collecting: "Собираем участников",
    spinning: "Крутим рулетку…",
    verification: "Проверяем, что победитель в игре",
    completed: "Розыгрыш завершён",
  },
  pool: (n) => "В пуле: " + n,
  last: {
    winner: (n) => "Последний победитель: " + n,
    offline: (n) => n + " был не в игре — без победителя",
    no_report: "Проверка не пришла — без победителя",
    none: "Розыгрышей ещё не было",
  },
  rules: [
    "Только для подписчиков канала.",
    "Победитель получает 1 000 золота на почту в игре.",
    "Вступить: !twgold ИмяПерсонажа в чате или форма в этой панели.",
  ],
  share: "Поделиться Twitch ID",
  shareWhy: "Чтобы участвовать отсюда, расширению нужен твой Twitch ID.",
  loggedOut: "Войди в Twitch, чтобы участвовать.",
  joinLabel: "Имя персонажа",
  joinButton: "Участвовать",
  enrolledAs: (n) => "Ты в пуле как " + n,
  rename: "Сменить имя",
  // The game's own texts (character creation screen, GlueStrings CHAR_NAME_*), as the
  // backend sends them in details.messageRu (pkg/domain nameMessages).
  nameProblem: {
    no_name: "Введите имя персонажа",
    too_short: "Имя должно содержать не менее 2 символов",
    too_long: "Имя не может содержать больше 12 букв",
    invalid_character: "Имя может содержать только буквы",
    mixed_languages: "Имя должно состоять из букв одного языка",
    three_consecutive: "Вы не можете использовать один и тот же символ три раза подряд",
  },
  payout: {
    won: (n) => "Ты выиграл 1 000 золота на " + n + "!",
    whisper: "Ответь в игре на шёпот стримера: !twgold",
    accepted: "Согласие получено — стример готовит письмо.",
    inProgress: "Стример отправляет письмо с золотом.",
    failed: "Отправить не получилось — стример свяжется с тобой.",
    cancelled: "Выплата отменена.",
    expired: "Выплата истекла: ответа не было 24 часа.",
    old: "Прошлый результат",
  },
  winAnnouncement: (n) => "Ты выиграл! Персонаж " + n + ". Ответь в игре шёпотом !twgold.",
  giftTitle: "Подарок от стримера",
  giftButton: "Попросить подарок",
  giftQueued: (pos, eta) => "Ты в очереди: место " + pos + ", примерно " + eta,
  giftServing: "Стример выбирает тебе предмет.",
  giftWaitingConsent: "Ответь в игре на шёпот стримера: !twgift",
  giftCompleted: (item) => "Подарок отправлен" + (item ? ": " + item : "") + ". Письмо придёт в течение часа.",
  giftFailed: {
    selection_timeout: "Подарок не состоялся: стример не успел выбрать предмет.",
    confirmation_timeout: "Подарок не состоялся: ответа !twgift не было 5 минут.",
    no_items: "Подарок не состоялся: в сумках нет подходящих предметов.",
    declined: "Подарок отклонён.",
    other: "Подарок не состоялся.",
  },
  giftUsed: "Ты уже получил свой подарок.",
  codes: {
    invalid_character_name: "Такого имени не может быть в игре.",
    character_name_taken_in_pool: "Это имя уже занято другим зрителем.",
    not_subscriber: "Участвовать могут только подписчики канала.",
    duplicate_enrollment: "Ты уже в пуле.",
    active_payout_exists: "У тебя уже есть незавершённая выплата.",
    lifetime_cap_reached: "Ты уже получил максимум — 10 000 золота.",
    gift_already_used: "Ты уже получил свой подарок.",
    gift_request_exists: "Твоя просьба о подарке уже в очереди.",
    unauthorized: "Нужен твой Twitch ID — нажми «Поделиться Twitch ID».",
    rate_limited: "Слишком часто.",
    unavailable: "Сервер занят.",
    invalid_payload: "Сервер не понял запрос.",
    not_found: "Не найдено.",
    internal: "Ошибка на сервере.",
    network: "Нет связи с сервером.",
    other: "Что-то пошло не так.",
  },
  retryIn: (s) => "Повтор через " + s + " с",
  tryAgainIn: (s) => "Можно повторить через " + s + " с",
  retryNow: "Повторить",
  offline: "Нет связи с сервером.",
  twitchError: "Twitch сообщил об ошибке расширения.",
  eta: (s) => (s < 60 ? "меньше минуты" : Math.round(s / 60) + " мин"),
  sending: "Отправляем…",
  ok: "Готово!",
};

const en: Dict = {
  title: "Mimiron's Gold",
  nextDraw: "Next draw in",
  phase: {
    idle: "The pool is empty — be the first",
    collecting: "Gathering players",
    spinning: "Spinning…",
    verification: "Checking the winner is in the game",
    completed: "This draw is over",
  },
  pool: (n) => "In the pool: " + n,
  last: {
    winner: (n) => "Last winner: " + n,
    offline: (n) => n + " was offline — no winner",
    no_report: "No check arrived — no winner",
    none: "No draws yet",
  },
  rules: [
    "Channel subscribers only.",
    "The winner gets 1,000 gold by in-game mail.",
    "Join: type !twgold CharacterName in chat, or use the form in this panel.",
  ],
  share: "Share your Twitch ID",
  shareWhy: "To join from here, the extension needs your Twitch ID.",
  loggedOut: "Log in to Twitch to take part.",
  joinLabel: "Character name",
  joinButton: "Join",
  enrolledAs: (n) => "You are in the pool as " + n,
  rename: "Change name",
  // The game's own texts, as the backend sends them in message (pkg/domain).
  nameProblem: {
    no_name: "Enter a name for your character",
    too_short: "Names must be at least 2 characters",
    too_long: "Names must be no more than 12 characters",
    invalid_character: "Names can only contain letters",
    mixed_languages: "Names must contain only one language",
    three_consecutive: "You cannot use the same letter three times consecutively",
  },
  payout: {
    won: (n) => "You won 1,000 gold for " + n + "!",
    whisper: "Answer the streamer's whisper in the game: !twgold",
    accepted: "Accepted — the streamer is preparing your mail.",
    inProgress: "The streamer is mailing your gold.",
    failed: "Sending failed — the streamer will contact you.",
    cancelled: "The payout was cancelled.",
    expired: "The payout expired: no answer within 24 hours.",
    old: "Earlier result",
  },
  winAnnouncement: (n) => "You won! Character " + n + ". Whisper !twgold back in the game.",
  giftTitle: "A gift from the streamer",
  giftButton: "Ask for a gift",
  giftQueued: (pos, eta) => "You are number " + pos + " in the queue, about " + eta,
  giftServing: "The streamer is picking an item for you.",
  giftWaitingConsent: "Answer the streamer's whisper in the game: !twgift",
  giftCompleted: (item) => "Gift sent" + (item ? ": " + item : "") + ". The mail arrives within an hour.",
  giftFailed: {
    selection_timeout: "No gift: the streamer ran out of time to pick an item.",
    confirmation_timeout: "No gift: no !twgift answer within 5 minutes.",
    no_items: "No gift: nothing in the bags can be mailed.",
    declined: "The gift was declined.",
    other: "No gift this time.",
  },
  giftUsed: "You already received your gift.",
  codes: {
    invalid_character_name: "The game does not allow that name.",
    character_name_taken_in_pool: "Another viewer already uses that name.",
    not_subscriber: "Only subscribers of the channel can take part.",
    duplicate_enrollment: "You are already in the pool.",
    active_payout_exists: "You already have a payout in progress.",
    lifetime_cap_reached: "You have reached the 10,000 gold maximum.",
    gift_already_used: "You already received your gift.",
    gift_request_exists: "Your gift request is already in the queue.",
    unauthorized: "Your Twitch ID is needed — press “Share your Twitch ID”.",
    rate_limited: "Too many requests.",
    unavailable: "The server is busy.",
    invalid_payload: "The server did not understand the request.",
    not_found: "Not found.",
    internal: "The server had an error.",
    network: "Can't reach the server.",
    other: "Something went wrong.",
  },
  retryIn: (s) => "Retrying in " + s + " s",
  tryAgainIn: (s) => "Try again in " + s + " s",
  retryNow: "Retry",
  offline: "Can't reach the server.",
  twitchError: "Twitch reported an extension error.",
  eta: (s) => (s < 60 ? "under a minute" : Math.round(s / 60) + " min"),
  sending: "Sending…",
  ok: "Done!",
};

export const dictionaries: Record<Lang, Dict> = { ru, en };
export type { Dict };

/** describeCode turns an error code into plain words; an invalid_character_name
 * refusal says which of the game's rules the name breaks (details.reason). */
export function describeCode(d: Dict, code: string, details?: Record<string, unknown>): string {
  const reason = details?.reason;
  if (code === "invalid_character_name" && typeof reason === "string" && reason in d.nameProblem) {
    return d.nameProblem[reason as NameProblem];
  }
  return d.codes[code] ?? d.codes.other!;
}
