import { InvalidEventPatternError } from './errors.ts';
import { compileLeafSearch, type EventTest } from './event-paths.ts';
import { anyLeaf, type FieldPlan, planField } from './leaf-tests.ts';
import { type Branch, expandPattern } from './parse-pattern.ts';

/** The event-pattern size quota, in characters (adjustable quota L-664C5505) [AWS-Q]. */
export const DEFAULT_MAX_PATTERN_LENGTH = 2048;

/** Options for {@link compileEventPattern}. */
export interface CompileEventPatternOptions {
  /**
   * Longest accepted pattern text, in characters. A string pattern is measured as given (whitespace
   * counts, as it does for the service); an object pattern is measured as compact JSON.
   * @default 2048
   */
  readonly maxPatternLength?: number;
}

/** A validated pattern, compiled to a predicate. Safe to share and to call concurrently. */
export interface CompiledEventPattern {
  /** The pattern as parsed from its JSON text (deep-frozen). */
  readonly pattern: unknown;
  /**
   * True when the event matches. Takes the parsed event object; a string is not parsed as JSON. Never
   * throws on JSON data, and tolerates non-JSON values (functions, cyclic arrays) by ignoring them.
   */
  matches(event: unknown): boolean;
}

const branchesByPattern = new WeakMap<CompiledEventPattern, readonly Branch[]>();

/**
 * Validates a pattern like `PutRule` and `TestEventPattern` do and compiles it to a fast predicate.
 *
 * A string is the pattern's JSON text. Anything else is serialised to JSON first, so an object pattern
 * behaves exactly as its JSON would when sent to the service.
 *
 * @example
 * ```ts
 * const rule = compileEventPattern({ source: ['aws.ecs'], detail: { group: [{ prefix: 'family:ws-' }] } });
 * rule.matches(event); // true or false
 * ```
 * @throws InvalidEventPatternError with the service's reason when the pattern is not valid.
 */
export function compileEventPattern(
  pattern: string | unknown,
  options: CompileEventPatternOptions = {},
): CompiledEventPattern {
  const maxPatternLength = options.maxPatternLength ?? DEFAULT_MAX_PATTERN_LENGTH;
  return compilePatternText(patternText(pattern), maxPatternLength);
}

const MATCH_CACHE_SIZE = 512;
const matchCache = new Map<string, CompiledEventPattern>();

/**
 * Compiles (with a small cache keyed by the pattern's JSON text) and matches in one call. Prefer
 * {@link compileEventPattern} when the same pattern is used for many events.
 *
 * @throws InvalidEventPatternError when the pattern is not valid.
 */
export function matchesEventPattern(pattern: string | unknown, event: unknown): boolean {
  const text = patternText(pattern);
  let compiled = matchCache.get(text);
  if (compiled === undefined) {
    compiled = compilePatternText(text, DEFAULT_MAX_PATTERN_LENGTH);
    // Evict the oldest entry; Map iterates in insertion order.
    if (matchCache.size >= MATCH_CACHE_SIZE) {
      const [oldest] = matchCache.keys();
      if (oldest !== undefined) matchCache.delete(oldest);
    }
    matchCache.set(text, compiled);
  }
  return compiled.matches(event);
}

/**
 * For each branch of a compiled pattern, the exact strings it requires at a top-level `field`, or
 * `undefined` when that branch accepts anything else there (an operator, a number, no condition at all).
 * Routing indexes use it; it is not part of the package's public surface.
 */
export function exactStringsByBranch(
  compiled: CompiledEventPattern,
  field: string,
): ReadonlyArray<ReadonlySet<string> | undefined> {
  const branches = branchesByPattern.get(compiled) ?? [];
  return branches.map(function exactStringsOfBranch(branch) {
    const condition = branch.find((candidate) => candidate.path.length === 1 && candidate.path[0] === field);
    if (condition === undefined) return undefined;
    const strings = new Set<string>();
    for (const alternative of condition.alternatives) {
      if (alternative.kind !== 'exact' || typeof alternative.value !== 'string') return undefined;
      strings.add(alternative.value);
    }
    return strings;
  });
}

function compilePatternText(text: string, maxPatternLength: number): CompiledEventPattern {
  if (text.length > maxPatternLength) {
    throw new InvalidEventPatternError(
      `Event pattern is ${text.length} characters long, the limit is ${maxPatternLength}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidEventPatternError((error as Error).message, { cause: error });
  }
  const branches = expandPattern(parsed);
  const compiled: CompiledEventPattern = Object.freeze({
    pattern: deepFreeze(parsed),
    matches: compileBranches(branches),
  });
  branchesByPattern.set(compiled, branches);
  return compiled;
}

function patternText(pattern: unknown): string {
  if (typeof pattern === 'string') return pattern;
  let text: string | undefined;
  try {
    text = JSON.stringify(pattern);
  } catch (error) {
    throw new InvalidEventPatternError(`Pattern is not JSON: ${(error as Error).message}`, { cause: error });
  }
  // undefined, functions and symbols have no JSON form; the service would see no object either.
  if (text === undefined) throw new InvalidEventPatternError('Filter is not an object');
  return text;
}

function compileBranches(branches: readonly Branch[]): (event: unknown) => boolean {
  const compiled = branches.map((branch) => branch.map((condition) => compileField(planField(condition))));
  const [onlyBranch] = compiled;
  if (compiled.length === 1 && onlyBranch !== undefined) return allOf(onlyBranch);
  const alternatives = compiled.map(allOf);
  return function matchesAnyBranch(event) {
    for (const branch of alternatives) if (branch(event)) return true;
    return false;
  };
}

function allOf(fields: readonly EventTest[]): EventTest {
  const [first, second] = fields;
  if (fields.length === 1 && first !== undefined) return first;
  if (fields.length === 2 && first !== undefined && second !== undefined) {
    return function matchesBothFields(event) {
      return first(event) && second(event);
    };
  }
  return function matchesEveryField(event) {
    for (const field of fields) if (!field(event)) return false;
    return true;
  };
}

// `exists: false` holds when the path has no leaves: it is absent, an object, an empty array, or under a
// missing parent. Every other alternative needs a leaf, so only this one can match an absent field.
function compileField(plan: FieldPlan): EventTest {
  const search = plan.test === undefined ? undefined : compileLeafSearch(plan.path, plan.test);
  if (!plan.matchesWhenAbsent) return search ?? neverMatches;
  const hasLeaf = compileLeafSearch(plan.path, anyLeaf);
  if (search === undefined) {
    return function hasNoLeaf(event) {
      return !hasLeaf(event);
    };
  }
  return function hasNoLeafOrMatchingLeaf(event) {
    return !hasLeaf(event) || search(event);
  };
}

function neverMatches(): boolean {
  return false;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
