import type { LeafTest } from './leaf-tests.ts';
import type { Leaf } from './parse-pattern.ts';

/** Decides something about one event; built once per pattern field and called per event. */
export type EventTest = (event: unknown) => boolean;

// Arrays add no path step and nested arrays are flattened, so a walk could spin forever on a cyclic array
// (not JSON, but matches() promises not to throw). Jackson refuses documents nested deeper than 1000.
const MAX_ARRAY_NESTING = 1000;

/**
 * Builds a walker that follows `path` through an event and reports whether some leaf there passes `test`.
 *
 * It reads only the keys the pattern names instead of flattening the whole event, which is what makes a
 * simple rule cost a couple of property reads. Arrays anywhere on the way are searched element by element
 * (an event array matches when any element does), objects at the end of the path are not leaves, and keys
 * that also name `Object.prototype` members (`constructor`, `__proto__`) are read as own properties only.
 */
export function compileLeafSearch(path: readonly string[], test: LeafTest): EventTest {
  const steps = [...path];
  const ownOnly = steps.map((step) => step in Object.prototype);
  const depth = steps.length;

  function searchFrom(node: unknown, start: number, nesting: number): boolean {
    let current = node;
    for (let index = start; index < depth; index++) {
      if (typeof current !== 'object' || current === null) return false;
      if (Array.isArray(current)) return searchArray(current, index, nesting);
      const step = steps[index] as string;
      const record = current as Record<string, unknown>;
      current = ownOnly[index] && !Object.hasOwn(record, step) ? undefined : record[step];
    }
    if (typeof current === 'string') return test(current);
    if (Array.isArray(current)) return searchArray(current, depth, nesting);
    return isEventLeaf(current) && test(current);
  }

  function searchArray(items: readonly unknown[], start: number, nesting: number): boolean {
    if (nesting >= MAX_ARRAY_NESTING) return false;
    for (let index = 0; index < items.length; index++) {
      if (searchFrom(items[index], start, nesting + 1)) return true;
    }
    return false;
  }

  return function leafSearch(event) {
    return searchFrom(event, 0, 0);
  };
}

/**
 * Collects the string leaves at a top-level key (`source`, `detail-type`), flattening arrays. Used to pick
 * routing buckets, so only strings matter: the index holds rules whose values there are all strings.
 */
export function stringLeavesAt(event: unknown, key: string): readonly string[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return NO_STRINGS;
  if (key in Object.prototype && !Object.hasOwn(event, key)) return NO_STRINGS;
  const value = (event as Record<string, unknown>)[key];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return NO_STRINGS;
  const found: string[] = [];
  collectStrings(value, found, 0);
  return found;
}

const NO_STRINGS: readonly string[] = Object.freeze([]);

function collectStrings(items: readonly unknown[], found: string[], nesting: number) {
  if (nesting >= MAX_ARRAY_NESTING) return;
  for (const item of items) {
    if (typeof item === 'string') found.push(item);
    else if (Array.isArray(item)) collectStrings(item, found, nesting + 1);
  }
}

function isEventLeaf(value: unknown): value is Leaf {
  const type = typeof value;
  return type === 'number' || type === 'boolean' || value === null;
}
