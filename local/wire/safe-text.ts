/**
 * Text from events and processes made safe to print on one line of a terminal. An event's ids,
 * `reason` or detail-type, and a workspace process's output, are written by someone else: a raw
 * newline in them would forge a log line, and an ANSI escape (`\x1b[2J` clears the screen) would
 * move the cursor. Every line the stack and the CLI print passes through {@link safeText}.
 */

/**
 * C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls (U+0080–U+009F, which some terminals obey as
 * escapes: U+009B is a CSI) and the Unicode line and paragraph separators (U+2028, U+2029), which
 * some viewers break lines on.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeCharacter(character: string): string {
  const named = NAMED[character];
  if (named) return named;
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
}

/**
 * Escapes every control character in `text` as JavaScript writes it (`\n`, `\x1b`, `\u2028`), so
 * the result prints as exactly one line and cannot move the cursor. Backslashes are left alone, so
 * the function is idempotent: a line escaped field by field and then once more as a whole comes out
 * the same (the aim is a safe terminal, not a reversible encoding).
 *
 * @example safeText('ws-1\n12:00:00 event forged') // 'ws-1\\n12:00:00 event forged'
 */
export function safeText(text: string): string {
  return text.replace(UNSAFE, escapeCharacter);
}

/** Whether `text` holds a character {@link safeText} would escape (for tests and assertions). */
export function hasUnsafeCharacter(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}
