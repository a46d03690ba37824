/**
 * The one way the console puts anything on the page: elements made with the DOM API and text set
 * with textContent, never HTML parsed from data. Event content is untrusted input; control
 * characters are shown as visible escapes so they cannot rewrite what is displayed.
 */

/** C0 and C1 control characters (but none of the text's own line breaks in a <pre>) and bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `"a\u001bb"` → `"a\\u001bb"`: the text with every control character made visible. */
export function visible(text) {
  return String(text).replace(
    CONTROL,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * An element: `h('td', { class: 'state' }, 'running')`. Attributes are set as attributes (no `on*`:
 * handlers go through `on`), children are nodes or text (escaped by the DOM), null and false skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
    } else if (name.startsWith('on')) {
      throw new Error(`set handlers with "on", not the attribute ${name}`);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (nodes, text, arrays of either) to an element. */
export function append(element, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(visible(child)));
  }
  return element;
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** An SVG element (the flow's arrows). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}
