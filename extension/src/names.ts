// The character-name rules of docs/product.md §2, checked before a claim or a gift
// request is sent so the viewer hears about a typo at once. The backend checks them
// again (pkg/domain ParseCharacterName); this copy must never be looser.

export const MIN_NAME = 2;
export const MAX_NAME = 12;

export type NameProblem = "empty" | "short" | "long" | "letters" | "mixed";

const LETTER = /^\p{L}$/u;
const LATIN = /^\p{Script=Latin}$/u;
const CYRILLIC = /^\p{Script=Cyrillic}$/u;

/**
 * checkName trims the name and returns it, or the first rule it breaks: 2 to 12
 * characters (counted as code points, as the backend counts runes), letters of the
 * Latin or Cyrillic scripts only, and one script per name (the game does not take a
 * name that mixes alphabets).
 */
export function checkName(raw: string): { name: string; problem: NameProblem | null } {
  const name = raw.trim();
  const chars = Array.from(name);
  if (chars.length === 0) return { name, problem: "empty" };
  let latin = false;
  let cyrillic = false;
  for (const c of chars) {
    if (!LETTER.test(c)) return { name, problem: "letters" };
    if (LATIN.test(c)) latin = true;
    else if (CYRILLIC.test(c)) cyrillic = true;
    else return { name, problem: "letters" };
  }
  if (chars.length < MIN_NAME) return { name, problem: "short" };
  if (chars.length > MAX_NAME) return { name, problem: "long" };
  if (latin && cyrillic) return { name, problem: "mixed" };
  return { name, problem: null };
}
