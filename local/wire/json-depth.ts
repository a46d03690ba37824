/**
 * The nesting depth of JSON text, measured without parsing it. `JSON.parse` copes with any depth,
 * but what comes after it does not: `JSON.stringify`, zod, structured clone and every other
 * recursive walk overflow the stack a few thousand levels down (a Detail 5,000 levels deep failed a
 * whole PutEvents batch with HTTP 500). So depth is checked on the text where input enters, by a
 * loop that counts brackets outside strings and never recurses.
 */

/**
 * EventBridge's documented limit: "PutEvents will only process nested JSON up to 1000 levels deep"
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html; some versions of
 * that page say 1100: the stricter figure is kept, so nothing passes here that AWS would refuse).
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Whether the JSON text nests objects and arrays more than `limit` levels deep (`{}` is one level,
 * `{"a":[]}` two). Stops at the first level past the limit; text that is not JSON is measured by its
 * brackets all the same (the parser then refuses it).
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
      continue;
    }
    if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
