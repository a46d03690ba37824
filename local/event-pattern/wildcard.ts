import { InvalidEventPatternError } from './errors.ts';

/**
 * A parsed `wildcard` operand: the literal text between the unescaped `*`s. `["a", "b"]` is `a*b`;
 * a pattern without `*` has a single segment and is an exact match.
 */
export interface WildcardPattern {
  readonly segments: readonly string[];
}

/**
 * Parses a wildcard operand with event-ruler's `WildcardParser` rules: `*` matches any run of characters,
 * `\*` and `\\` are a literal `*` and `\`, any other escape is invalid, and `**` is rejected.
 *
 * The positions in the messages are event-ruler's: UTF-8 byte offsets into the operand wrapped in double
 * quotes, which is how it stores string values. So `abc**def` reports "at pos 4".
 *
 * @throws InvalidEventPatternError for `**` or a bad escape.
 */
export function parseWildcard(text: string): WildcardPattern {
  const segments: string[] = [];
  let literal = '';
  // The opening quote event-ruler adds is byte 0.
  let bytePosition = 1;
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === '*') {
      if (text.charAt(index + 1) === '*') {
        throw new InvalidEventPatternError(`Consecutive wildcard characters at pos ${bytePosition}`);
      }
      segments.push(literal);
      literal = '';
    } else if (char === '\\') {
      const next = text.charAt(index + 1);
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(`Invalid escape character at pos ${bytePosition}`);
      }
      literal += next;
      index++;
      bytePosition++;
    } else {
      literal += char;
    }
    bytePosition += utf8Length(text.charCodeAt(index));
  }
  segments.push(literal);
  return { segments };
}

/** True when `value` matches the whole wildcard pattern (no implicit leading or trailing `*`). */
export function wildcardMatches(pattern: WildcardPattern, value: string): boolean {
  const { segments } = pattern;
  const first = segments[0] ?? '';
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  // With `*` as the only wildcard, taking each middle segment at its leftmost position never loses a match.
  let cursor = first.length;
  const end = value.length - last.length;
  for (let index = 1; index < segments.length - 1; index++) {
    const segment = segments[index] ?? '';
    const found = value.indexOf(segment, cursor);
    if (found === -1 || found + segment.length > end) return false;
    cursor = found + segment.length;
  }
  return true;
}

// Bytes that one UTF-16 code unit contributes to the UTF-8 encoding; a surrogate pair counts 2 + 2.
function utf8Length(codeUnit: number): number {
  if (codeUnit < 0x80) return 1;
  if (codeUnit < 0x800) return 2;
  if (codeUnit >= 0xd800 && codeUnit <= 0xdfff) return 2;
  return 3;
}
