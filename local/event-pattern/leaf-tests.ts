import { foldCase } from './case-fold.ts';
import { cidrContains, type IpAddress, parseIpAddress, sameIpAddress } from './ip-address.ts';
import type { Alternative, Exclusion, FieldCondition, Leaf, NumericRange } from './parse-pattern.ts';
import { wildcardMatches } from './wildcard.ts';

/** A test on one leaf value found in the event. */
export type LeafTest = (leaf: Leaf) => boolean;

/** How to decide one field: a leaf test, and whether "no leaves at all" also counts as a match. */
export interface FieldPlan {
  readonly path: readonly string[];
  /** Satisfied when some leaf at the path passes; `undefined` when only `exists: false` was given. */
  readonly test: LeafTest | undefined;
  /** True when the alternatives include `{"exists": false}`. */
  readonly matchesWhenAbsent: boolean;
}

type StringTest = (value: string) => boolean;
type NumberTest = (value: number) => boolean;

/** Every leaf passes: what `{"exists": true}` asks for. */
export const anyLeaf: LeafTest = function anyLeaf() {
  return true;
};

/**
 * Turns a field's alternatives into one leaf test. The alternatives are ORed; each kind only looks at the
 * leaf types it can match (strict types: `"5"` is never `5`), except `anything-but`, which accepts any
 * present leaf it does not exclude, `null` included.
 */
export function planField(condition: FieldCondition): FieldPlan {
  const exactValues: Leaf[] = [];
  const stringTests: StringTest[] = [];
  const numberTests: NumberTest[] = [];
  const leafTests: LeafTest[] = [];
  let existsTrue = false;
  let existsFalse = false;
  for (const alternative of condition.alternatives) {
    if (alternative.kind === 'exact') exactValues.push(alternative.value);
    else if (alternative.kind === 'numeric') numberTests.push(numericTest(alternative.range));
    else if (alternative.kind === 'anything-but') leafTests.push(anythingButTest(alternative.exclusion));
    else if (alternative.kind === 'exists') {
      if (alternative.exists) existsTrue = true;
      else existsFalse = true;
    } else stringTests.push(stringTest(alternative));
  }
  const test = existsTrue ? anyLeaf : combineTests(exactValues, stringTests, numberTests, leafTests);
  return { path: condition.path, test, matchesWhenAbsent: existsFalse };
}

// The single-test shapes are the common ones (`["aws.ecs"]`, `[{"prefix": "x"}]`); giving them their own
// closure keeps the hot path to one comparison.
function combineTests(
  exactValues: readonly Leaf[],
  stringTests: readonly StringTest[],
  numberTests: readonly NumberTest[],
  leafTests: readonly LeafTest[],
): LeafTest | undefined {
  const total = exactValues.length + stringTests.length + numberTests.length + leafTests.length;
  if (total === 0) return undefined;
  const [onlyString] = stringTests;
  const [onlyNumber] = numberTests;
  const [onlyLeafTest] = leafTests;
  if (exactValues.length === total) return exactTest(exactValues);
  if (total === 1 && onlyString !== undefined) {
    return function stringLeafTest(leaf) {
      return typeof leaf === 'string' && onlyString(leaf);
    };
  }
  if (total === 1 && onlyNumber !== undefined) {
    return function numberLeafTest(leaf) {
      return typeof leaf === 'number' && onlyNumber(leaf);
    };
  }
  if (total === 1 && onlyLeafTest !== undefined) return onlyLeafTest;
  // Set.has is type-strict and compares numbers by value, which is exactly exact-match semantics.
  const exact = new Set(exactValues);
  return function mixedLeafTest(leaf) {
    if (exact.has(leaf)) return true;
    if (typeof leaf === 'string') {
      for (const test of stringTests) if (test(leaf)) return true;
    } else if (typeof leaf === 'number') {
      for (const test of numberTests) if (test(leaf)) return true;
    }
    for (const test of leafTests) if (test(leaf)) return true;
    return false;
  };
}

// Numbers compare by value: `[300]` matches `300.0` and `3.0e2`, which JSON.parse has already made equal.
// event-ruler falls back to comparing text for numbers it cannot represent; after JSON.parse both sides
// are doubles, so huge numbers that round to the same double compare equal here.
function exactTest(values: readonly Leaf[]): LeafTest {
  if (values.length === 1) {
    const only = values[0];
    return function exactValueTest(leaf) {
      return leaf === only;
    };
  }
  const set = new Set(values);
  return function exactSetTest(leaf) {
    return set.has(leaf);
  };
}

function stringTest(
  alternative: Exclude<Alternative, { kind: 'exact' | 'numeric' | 'anything-but' | 'exists' }>,
) {
  switch (alternative.kind) {
    case 'prefix':
      return prefixTest(alternative.value, alternative.ignoreCase);
    case 'suffix':
      return suffixTest(alternative.value, alternative.ignoreCase);
    case 'equals-ignore-case': {
      const folded = foldCase(alternative.value);
      return function equalsIgnoreCaseTest(value: string) {
        return value === alternative.value || foldCase(value) === folded;
      };
    }
    case 'wildcard': {
      const { pattern } = alternative;
      return function wildcardTest(value: string) {
        return wildcardMatches(pattern, value);
      };
    }
    case 'cidr': {
      const { block } = alternative;
      return function cidrTest(value: string) {
        const address = parseIpAddress(value);
        return address !== undefined && cidrContains(block, address);
      };
    }
    case 'ip-address': {
      const { text } = alternative;
      const expected = parseIpAddress(text) as IpAddress;
      return function ipAddressTest(value: string) {
        if (value === text) return true;
        const address = parseIpAddress(value);
        return address !== undefined && sameIpAddress(expected, address);
      };
    }
  }
}

function prefixTest(prefix: string, ignoreCase: boolean): StringTest {
  if (!ignoreCase) {
    return function prefixMatches(value) {
      return value.startsWith(prefix);
    };
  }
  const folded = foldCase(prefix);
  return function prefixIgnoringCaseMatches(value) {
    return foldCase(value).startsWith(folded);
  };
}

function suffixTest(suffix: string, ignoreCase: boolean): StringTest {
  if (!ignoreCase) {
    return function suffixMatches(value) {
      return value.endsWith(suffix);
    };
  }
  const folded = foldCase(suffix);
  return function suffixIgnoringCaseMatches(value) {
    return foldCase(value).endsWith(folded);
  };
}

function numericTest(range: NumericRange): NumberTest {
  const { lower, lowerInclusive, upper, upperInclusive } = range;
  const low = lower ?? Number.NEGATIVE_INFINITY;
  const high = upper ?? Number.POSITIVE_INFINITY;
  // Unbounded sides use infinities, so `[">", 0]` accepts any finite positive number.
  return function numericRangeTest(value) {
    if (lowerInclusive ? value < low : value <= low) return false;
    return upperInclusive ? value <= high : value < high;
  };
}

// anything-but fails only when its own exclusion matched the leaf (event-ruler ByteMachine), so a leaf of
// another type, null included, is "anything but" and matches.
function anythingButTest(exclusion: Exclusion): LeafTest {
  switch (exclusion.kind) {
    case 'values': {
      const excluded = new Set<Leaf>(exclusion.values);
      return function anythingButValueTest(leaf) {
        return !excluded.has(leaf);
      };
    }
    case 'prefixes': {
      const prefixes = exclusion.values;
      return function anythingButPrefixTest(leaf) {
        return typeof leaf !== 'string' || !prefixes.some((prefix) => leaf.startsWith(prefix));
      };
    }
    case 'suffixes': {
      const suffixes = exclusion.values;
      return function anythingButSuffixTest(leaf) {
        return typeof leaf !== 'string' || !suffixes.some((suffix) => leaf.endsWith(suffix));
      };
    }
    case 'equals-ignore-case': {
      const excluded = new Set(exclusion.values.map(foldCase));
      return function anythingButEqualsIgnoreCaseTest(leaf) {
        return typeof leaf !== 'string' || !excluded.has(foldCase(leaf));
      };
    }
    case 'wildcards': {
      const { patterns } = exclusion;
      return function anythingButWildcardTest(leaf) {
        return typeof leaf !== 'string' || !patterns.some((pattern) => wildcardMatches(pattern, leaf));
      };
    }
  }
}
