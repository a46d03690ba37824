import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileEventPattern, isInvalidEventPatternError } from '#local/event-pattern/index.ts';
import { matchCases } from '../../fixtures/pattern-cases.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Leaf = null | boolean | number | string;

const UNLIMITED = { maxPatternLength: Number.POSITIVE_INFINITY };
const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
  'exactly',
  'EXISTS',
] as const;

// Values biased towards the pattern grammar, so generated patterns reach deep into validation instead of
// failing on the first key.
const patternScalar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '>',
    '>=',
    '<',
    '<=',
    '=',
    '!=',
    '10.0.0.0/8',
    '::/0',
    '1.2.3.4/32',
    'a*b',
    '\\*',
    '**',
    '',
  ),
);
const patternKey = fc.oneof(
  fc.constantFrom('$or', 'source', 'detail', 'a', ...OPERATORS),
  fc.string({ maxLength: 4 }),
);
const { patternValue } = fc.letrec((tie) => ({
  patternValue: fc.oneof(
    { depthSize: 'small' },
    patternScalar,
    fc.array(tie('patternValue'), { maxLength: 5 }),
    fc.dictionary(patternKey, tie('patternValue'), { maxKeys: 4 }),
    fc.dictionary(fc.constantFrom(...OPERATORS), tie('patternValue'), { minKeys: 1, maxKeys: 2 }),
  ),
}));
const patternLike = fc.dictionary(patternKey, patternValue, { maxKeys: 4 });

const arbitraryEvent = fc.oneof(
  fc.jsonValue(),
  fc.anything({
    withNullPrototype: true,
    withSparseArray: true,
    withBigInt: true,
    withDate: true,
    withMap: true,
  }),
  fc.record({
    source: fc.jsonValue(),
    'detail-type': fc.jsonValue(),
    resources: fc.jsonValue(),
    detail: fc.jsonValue(),
  }),
);

function compileOrExpectedError(pattern: unknown) {
  try {
    return compileEventPattern(pattern);
  } catch (error) {
    expect(isInvalidEventPatternError(error), String(error)).toBe(true);
    return undefined;
  }
}

describe('compileEventPattern on arbitrary input', () => {
  it('throws nothing but InvalidEventPatternError for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (pattern) => {
        compileOrExpectedError(pattern);
      }),
      { numRuns: 500 },
    );
  });

  it('throws nothing but InvalidEventPatternError for any value at all', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true }),
        (pattern) => {
          compileOrExpectedError(pattern);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws nothing but InvalidEventPatternError for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
        compileOrExpectedError(text);
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but InvalidEventPatternError for pattern-shaped input, and never fails to match', () => {
    fc.assert(
      fc.property(patternLike, arbitraryEvent, (pattern, event) => {
        const compiled = compileOrExpectedError(pattern);
        if (compiled !== undefined) expect(typeof compiled.matches(event)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('matches on arbitrary events', () => {
  const compiledCases = matchCases.map((testCase) => compileEventPattern(testCase.pattern));

  it('never throws', () => {
    fc.assert(
      fc.property(fc.constantFrom(...compiledCases), arbitraryEvent, (compiled, event) => {
        expect(typeof compiled.matches(event)).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('says exists true exactly when it does not say exists false', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('detail', 'a', 'b', 'source'), { minLength: 1, maxLength: 3 }),
        arbitraryEvent,
        (path, event) => {
          const exists = compileEventPattern(nest(path, [{ exists: true }]));
          const absent = compileEventPattern(nest(path, [{ exists: false }]));
          expect(exists.matches(event)).toBe(!absent.matches(event));
        },
      ),
      { numRuns: 500 },
    );
  });
});

// Events without "$or" keys, so that a pattern copied from them cannot contain a $or by accident.
const eventKey = fc.string({ unit: 'binary', maxLength: 6 }).filter((key) => key !== '$or');
const { eventJson } = fc.letrec((tie) => ({
  eventJson: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('10.1.2.3', '2001:db8::7', ''),
    fc.array(tie('eventJson'), { maxLength: 4 }),
    fc.dictionary(eventKey, tie('eventJson'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));
const eventObject = fc.dictionary(eventKey, eventJson, {
  minKeys: 1,
  maxKeys: 6,
  noNullPrototype: true,
}) as fc.Arbitrary<{ [key: string]: Json }>;

describe('a pattern built from the event itself', () => {
  it('matches when it lists leaves of the event as plain values', () => {
    fc.assert(
      fc.property(eventObject, fc.infiniteStream(fc.boolean()), (event, picks) => {
        const leaves = leavesOf(event);
        fc.pre(leaves.length > 0);
        const chosen = leaves.filter(() => picks.next().value as boolean);
        const pattern = patternFrom(chosen.length > 0 ? chosen : leaves.slice(0, 1), (leaf) => leaf);
        expect(compileEventPattern(pattern, UNLIMITED).matches(event)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('matches when it describes leaves of the event with any operator that holds for them', () => {
    fc.assert(
      fc.property(eventObject, fc.nat(), (event, seed) => {
        const leaves = leavesOf(event);
        fc.pre(leaves.length > 0);
        const pattern = patternFrom(leaves, (leaf, index) => operatorHolding(leaf, seed + index));
        expect(compileEventPattern(pattern, UNLIMITED).matches(event)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Every (path, leaf) pair of a JSON value: arrays add no path step; objects are not leaves. */
function leavesOf(value: Json, path: readonly string[] = []): Array<readonly [readonly string[], Leaf]> {
  if (Array.isArray(value)) return value.flatMap((item) => leavesOf(item, path));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => leavesOf(child, [...path, key]));
  }
  return [[path, value]];
}

/**
 * Builds `{a: {b: [alternative]}}` for each chosen leaf. A path that is a prefix of another cannot sit in
 * one JSON object with it, so later leaves that would clash are skipped.
 */
function patternFrom(
  leaves: ReadonlyArray<readonly [readonly string[], Leaf]>,
  alternativeFor: (leaf: Leaf, index: number) => unknown,
): Record<string, unknown> {
  const pattern: Record<string, unknown> = {};
  const taken: string[][] = [];
  leaves.forEach(([path, leaf], index) => {
    const clashes = taken.some((other) => isStrictPrefix(other, path) || isStrictPrefix(path, other));
    if (clashes) return;
    taken.push([...path]);
    let node = pattern;
    for (const step of path.slice(0, -1)) {
      if (!Object.hasOwn(node, step))
        Object.defineProperty(node, step, { value: {}, enumerable: true, writable: true });
      node = node[step] as Record<string, unknown>;
    }
    const last = path[path.length - 1] as string;
    const alternatives = Object.hasOwn(node, last) ? (node[last] as unknown[]) : [];
    Object.defineProperty(node, last, {
      value: [...alternatives, alternativeFor(leaf, index)],
      enumerable: true,
      writable: true,
    });
  });
  return pattern;
}

function isStrictPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length < path.length && prefix.every((step, index) => step === path[index]);
}

function nest(path: readonly string[], leafCondition: unknown): Record<string, unknown> {
  return path.slice(0, -1).reduceRight<Record<string, unknown>>((inner, step) => ({ [step]: inner }), {
    [path[path.length - 1] as string]: leafCondition,
  });
}

function escapeWildcard(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('*', '\\*');
}

/** An alternative that is true for `leaf`, chosen by `seed` among those that apply to its type. */
function operatorHolding(leaf: Leaf, seed: number): unknown {
  const asciiOnly = typeof leaf === 'string' && /^[\u0020-\u007e]*$/.test(leaf);
  const forAnyLeaf = [leaf, { exists: true }, { 'anything-but': { prefix: '\u{1f600}never' } }];
  const forType =
    typeof leaf === 'string'
      ? [
          { prefix: leaf.slice(0, seed % (leaf.length + 1)) },
          { suffix: leaf.slice(seed % (leaf.length + 1)) },
          { 'equals-ignore-case': asciiOnly ? leaf.toUpperCase() : leaf },
          { prefix: { 'equals-ignore-case': asciiOnly ? leaf.slice(0, 2).toUpperCase() : leaf } },
          { suffix: { 'equals-ignore-case': asciiOnly ? leaf.slice(-2).toLowerCase() : leaf } },
          { wildcard: escapeWildcard(leaf) },
          { wildcard: `${escapeWildcard(leaf.slice(0, 1))}*${escapeWildcard(leaf.slice(2))}` },
          { 'anything-but': `${leaf}-other` },
          { 'anything-but': { wildcard: `${escapeWildcard(leaf)}?*` } },
        ]
      : typeof leaf === 'number'
        ? [
            { numeric: ['=', leaf] },
            { numeric: ['>=', leaf] },
            { numeric: ['<=', leaf] },
            {
              'anything-but': [leaf === 0 ? 1 : 0, leaf + 1 === leaf ? 'x' : leaf + 1].filter(
                (n) => typeof n === 'number',
              ),
            },
          ]
        : [{ 'anything-but': 'x' }];
  const choices = [...forAnyLeaf, ...forType];
  return choices[seed % choices.length];
}
