// The character-name rules of docs/product.md §2 (the game's own: a name a WoW 3.3.5
// character can have), checked before a claim or a gift request is sent so the viewer
// hears about a typo at once. This is a port of pkg/domain CheckCharacterName, which
// cites the 3.3.5 server's code by file and line: ObjectMgr::CheckPlayerName at
// azerothcore/azerothcore-wotlk@001f4d32fd22a3a68f4d7c146c7bd026b4c3c6d8
// src/server/game/Globals/ObjectMgr.cpp:7815 and the letter tables at
// azerothcore/azerothcore-wotlk@09ee849eca303bbc75e05d0dc6ee7237e6f12095
// src/common/Utilities/Util.h:104-355. The unit tests run it over the same table as the
// Go code, pkg/domain/testdata/names.json.
// The backend checks again; this copy must never be looser.

export const MIN_NAME = 2;
export const MAX_NAME = 12;

/** The problems, as the backend's details.reason of invalid_character_name. */
export type NameProblem = "no_name" | "too_short" | "too_long" | "invalid_character" | "mixed_languages" | "three_consecutive";

/** isGoSpace is Go's unicode.IsSpace, which strings.TrimSpace trims (it differs from
 * JavaScript's trim: U+0085 is space, U+FEFF is not). */
function isGoSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** trimGo trims as Go's strings.TrimSpace. */
export function trimGo(s: string): string {
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  while (a < b && isGoSpace(cps[a]!.codePointAt(0)!)) a++;
  while (b > a && isGoSpace(cps[b - 1]!.codePointAt(0)!)) b--;
  return cps.slice(a, b).join("");
}

/** The server's isExtendedLatinCharacter (Util.h:117-152, with isBasicLatinCharacter :104-115). */
function isExtendedLatin(r: number): boolean {
  return (
    (r >= 0x61 && r <= 0x7a) ||
    (r >= 0x41 && r <= 0x5a) ||
    (r >= 0xc0 && r <= 0xd6) ||
    (r >= 0xd8 && r <= 0xde) ||
    r === 0xdf ||
    (r >= 0xe0 && r <= 0xf6) ||
    (r >= 0xf8 && r <= 0xfe) ||
    (r >= 0x100 && r <= 0x12f) ||
    r === 0x1e9e
  );
}

/** The server's isCyrillicCharacter (Util.h:154-165): А..я, Ё, ё. */
function isCyrillic(r: number): boolean {
  return (r >= 0x410 && r <= 0x44f) || r === 0x401 || r === 0x451;
}

/** The server's wcharToLower (Util.h:320-355). */
function gameLower(r: number): number {
  if ((r >= 0x41 && r <= 0x5a) || (r >= 0xc0 && r <= 0xd6) || (r >= 0xd8 && r <= 0xde)) return r + 0x20;
  if (r >= 0x100 && r <= 0x12e && r % 2 === 0) return r + 1;
  if (r === 0x1e9e) return 0xdf;
  if (r === 0x401) return 0x451;
  if (r >= 0x410 && r <= 0x42f) return r + 0x20;
  return r;
}

/** The server's wcharToUpper (Util.h:278-313; ß becomes ẞ). */
function gameUpper(r: number): number {
  if ((r >= 0x61 && r <= 0x7a) || (r >= 0xe0 && r <= 0xf6) || (r >= 0xf8 && r <= 0xfe)) return r - 0x20;
  if (r === 0xdf) return 0x1e9e;
  if (r >= 0x101 && r <= 0x12f && r % 2 === 1) return r - 1;
  if (r >= 0x430 && r <= 0x44f) return r - 0x20;
  if (r === 0x451) return 0x401;
  return r;
}

/**
 * checkName trims the name and returns it in the form the game shows it (first letter
 * upper case, the rest lower case), or the first rule it breaks, in the server's order:
 * no name, too long, too short, a character that is not a Latin or Cyrillic letter of
 * the game's tables, two alphabets, the same letter three times in a row.
 */
export function checkName(raw: string): { name: string; problem: NameProblem | null } {
  const trimmed = trimGo(raw);
  const cps = Array.from(trimmed, (c) => c.codePointAt(0)!);
  // The server counts UTF-16 code units (wname.size() after utf8to16; pkg/domain nameLen
  // cites the line), which is what a JavaScript string's length is.
  const units = trimmed.length;
  if (units === 0) return { name: trimmed, problem: "no_name" };
  if (units > MAX_NAME) return { name: trimmed, problem: "too_long" };
  if (units < MIN_NAME) return { name: trimmed, problem: "too_short" };
  let latin = false;
  let cyrillic = false;
  for (const r of cps) {
    if (isExtendedLatin(r)) latin = true;
    else if (isCyrillic(r)) cyrillic = true;
    else return { name: trimmed, problem: "invalid_character" }; // lone surrogates too
  }
  if (latin && cyrillic) return { name: trimmed, problem: "mixed_languages" };
  const lower = cps.map(gameLower);
  for (let i = 2; i < lower.length; i++) {
    if (lower[i] === lower[i - 1] && lower[i] === lower[i - 2]) return { name: trimmed, problem: "three_consecutive" };
  }
  lower[0] = gameUpper(lower[0]!);
  return { name: String.fromCodePoint(...lower), problem: null };
}
