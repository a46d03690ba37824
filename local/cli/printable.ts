/**
 * Makes untrusted text safe to print on one terminal line. Dead letters carry event content anyone
 * who can publish to the bus chose; printed raw, an escape sequence in it could rewrite the
 * operator's terminal or a line break could forge a line of output.
 */

/**
 * C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional overrides and
 * isolates (which reorder what the eye reads: the "Trojan Source" characters).
 */
function isUnprintable(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** `text` with each unprintable character written as `\uXXXX`. */
export function escapeControl(text: string): string {
  let out = '';
  for (const character of text) {
    const code = character.codePointAt(0) as number;
    out += isUnprintable(code) ? `\\u${code.toString(16).padStart(4, '0')}` : character;
  }
  return out;
}

/** A `key=value` value: escaped, and quoted when it holds a space, a quote or an `=`. */
export function printableValue(value: string): string {
  const escaped = escapeControl(value);
  return /[\s"=]/.test(escaped) || escaped === '' ? `"${escaped.replaceAll('"', '\\"')}"` : escaped;
}
