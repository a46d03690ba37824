const NON_ASCII = /[\u0080-\uffff]/;
const foldedCodePoints = new Map<string, string>();

/**
 * Folds case one code point at a time, so a folded string has as many code points as the original and
 * prefix and suffix tests on folded strings stay meaningful.
 *
 * event-ruler folds per code point with Java's simple case mappings; the closest JS equivalent is
 * `lower(upper(c))` when both mappings stay a single code point (`ſ` folds with `s`), and `c` itself when
 * either would expand (`ß` upper-cases to `SS`). Only ASCII behaviour is pinned down by evidence.
 */
export function foldCase(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  let folded = '';
  for (const char of text) folded += foldCodePoint(char);
  return folded;
}

function foldCodePoint(char: string): string {
  const cached = foldedCodePoints.get(char);
  if (cached !== undefined) return cached;
  const upper = char.toUpperCase();
  const lower = isSingleCodePoint(upper) ? upper.toLowerCase() : char.toLowerCase();
  const folded = isSingleCodePoint(lower) ? lower : char;
  // Bounded: a pattern or event can only mention so many distinct code points, but be safe anyway.
  if (foldedCodePoints.size < 10_000) foldedCodePoints.set(char, folded);
  return folded;
}

function isSingleCodePoint(text: string): boolean {
  const codePoint = text.codePointAt(0);
  return codePoint !== undefined && text.length === (codePoint > 0xffff ? 2 : 1);
}
