import { InvalidEventPatternError } from './errors.ts';
import { type CidrBlock, parseCidrBlock, parseIpAddress } from './ip-address.ts';
import { parseWildcard, type WildcardPattern } from './wildcard.ts';

/** A JSON value an event can hold at a path: what `{"exists": true}` calls a leaf. */
export type Leaf = string | number | boolean | null;

/** Inclusive or exclusive bounds; a missing bound is unbounded. `=` is both bounds inclusive. */
export interface NumericRange {
  readonly lower: number | undefined;
  readonly lowerInclusive: boolean;
  readonly upper: number | undefined;
  readonly upperInclusive: boolean;
}

/** What an `anything-but` excludes. It matches any present leaf that is not excluded. */
export type Exclusion =
  | { readonly kind: 'values'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'prefixes' | 'suffixes' | 'equals-ignore-case'; readonly values: readonly string[] }
  | { readonly kind: 'wildcards'; readonly patterns: readonly WildcardPattern[] };

/** One element of a field's array in the pattern, after validation. */
export type Alternative =
  | { readonly kind: 'exact'; readonly value: Leaf }
  | { readonly kind: 'ip-address'; readonly text: string }
  | { readonly kind: 'prefix' | 'suffix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'equals-ignore-case'; readonly value: string }
  | { readonly kind: 'wildcard'; readonly pattern: WildcardPattern }
  | { readonly kind: 'numeric'; readonly range: NumericRange }
  | { readonly kind: 'exists'; readonly exists: boolean }
  | { readonly kind: 'cidr'; readonly block: CidrBlock }
  | { readonly kind: 'anything-but'; readonly exclusion: Exclusion };

/** The alternatives a pattern lists for one event path. */
export interface FieldCondition {
  readonly path: readonly string[];
  readonly alternatives: readonly Alternative[];
}

/** One way for the pattern to match: every condition must hold. A pattern is the OR of its branches. */
export type Branch = readonly FieldCondition[];

/** EventBridge rejects patterns whose `$or` groups expand to more branches than this [AWS-CF]. */
export const MAX_OR_COMBINATIONS = 1000;

// event-ruler's Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP: operator names (and names it keeps for
// later) cannot be field names anywhere inside a `$or`, so a mistyped matcher is not read as a field.
const RESERVED_NAMES_INSIDE_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

const OR_KEYWORD = '$or';
const TOO_MANY_NUMERIC_ELEMENTS = 'Too many elements in numeric expression';
const ONLY_ONE_KEY = 'Only one key allowed in match expression';
const ANYTHING_BUT_VALUE = 'Value of anything-but must be an array or single string/number value.';

type JsonObject = Readonly<Record<string, unknown>>;
type MutableBranch = Map<string, FieldCondition>;

/**
 * Validates a parsed pattern the way event-ruler's `JsonRuleCompiler` does, with its messages, and expands
 * the `$or` groups into branches.
 *
 * The walk mirrors `JsonRuleCompiler` step by step because the *first* error it meets is the one the
 * service reports: a matcher's operand is checked before a second key in the same matcher, array elements
 * before the array's emptiness, and so on.
 *
 * Two paths that differ only in how keys are split (`{"a.b": ...}` against `{"a": {"b": ...}}`) stay
 * distinct here. event-ruler joins path steps with dots and treats them as one, but calls that behaviour
 * accidental, so the local stack does not copy it.
 *
 * @throws InvalidEventPatternError on the first problem found.
 */
export function expandPattern(pattern: unknown): Branch[] {
  if (!isJsonObject(pattern)) throw new InvalidEventPatternError('Filter is not an object');
  const branches: MutableBranch[] = [];
  parseObject(branches, [], pattern, false);
  return branches.map((branch) => [...branch.values()]);
}

function parseObject(
  branches: MutableBranch[],
  path: readonly string[],
  node: JsonObject,
  insideOr: boolean,
) {
  const keys = Object.keys(node);
  if (keys.length === 0) throw new InvalidEventPatternError('Empty objects are not allowed');
  for (const key of keys) {
    const value = node[key];
    if (key === OR_KEYWORD) {
      parseOr(branches, path, value);
      continue;
    }
    if (insideOr && RESERVED_NAMES_INSIDE_OR.has(key)) {
      throw new InvalidEventPatternError(
        `${key} is Ruler reserved fieldName which cannot be used inside $or.`,
      );
    }
    if (isJsonObject(value)) {
      parseObject(branches, [...path, key], value, insideOr);
    } else if (Array.isArray(value)) {
      setCondition(branches, { path: [...path, key], alternatives: parseAlternatives(value) });
    } else {
      throw new InvalidEventPatternError(`"${key}" must be an object or an array`);
    }
  }
}

// A `$or` replaces the branches built so far with (branches so far) x (each element), which is the
// cross-product of all groups. Fields written after the `$or` then land in every resulting branch.
function parseOr(branches: MutableBranch[], path: readonly string[], value: unknown) {
  const before = branches.map((branch) => new Map(branch));
  branches.length = 0;
  if (!Array.isArray(value)) throw new InvalidEventPatternError('It must be an Array followed with $or.');
  for (const element of value) {
    if (!isJsonObject(element)) {
      throw new InvalidEventPatternError('Only JSON object is allowed in array of $or relationship.');
    }
    const forked = before.length === 0 ? [new Map()] : before.map((branch) => new Map(branch));
    parseObject(forked, path, element, true);
    branches.push(...forked);
    // Checked as we go so that a pattern of many small groups cannot expand exponentially first.
    if (branches.length > MAX_OR_COMBINATIONS) {
      throw new InvalidEventPatternError(
        `The number of $or combinations exceeds the limit of ${MAX_OR_COMBINATIONS}`,
      );
    }
  }
  if (value.length < 2) {
    throw new InvalidEventPatternError('There must have at least 2 Objects in $or relationship.');
  }
}

// A JSON object cannot repeat a key, but `$or` can name a path its siblings also name. event-ruler then keeps
// the condition written last, as the docs say for repeated keys, so we do too.
function setCondition(branches: MutableBranch[], condition: FieldCondition) {
  if (branches.length === 0) branches.push(new Map());
  const key = JSON.stringify(condition.path);
  for (const branch of branches) branch.set(key, condition);
}

function parseAlternatives(values: readonly unknown[]): Alternative[] {
  const alternatives: Alternative[] = [];
  for (const value of values) {
    if (isJsonObject(value)) {
      alternatives.push(parseMatchExpression(value));
    } else if (typeof value === 'string') {
      // event-ruler stores a plain string that is an IP literal as a one-address range, so other spellings
      // of the same address match too.
      const isIp = parseIpAddress(value) !== undefined;
      alternatives.push(isIp ? { kind: 'ip-address', text: value } : { kind: 'exact', value });
    } else if (isLeaf(value)) {
      alternatives.push({ kind: 'exact', value });
    } else {
      throw new InvalidEventPatternError('Match value must be String, number, true, false, or null');
    }
  }
  if (alternatives.length === 0) throw new InvalidEventPatternError('Empty arrays are not allowed');
  return alternatives;
}

function parseMatchExpression(expression: JsonObject): Alternative {
  const keys = Object.keys(expression);
  const [operator] = keys;
  if (operator === undefined) throw new InvalidEventPatternError('Match expression name not found');
  const operand = expression[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      const alternative = parsePrefixOrSuffix(operator, operand);
      requireSingleKey(keys, ONLY_ONE_KEY);
      return alternative;
    }
    case 'equals-ignore-case': {
      const value = requireString(operand, 'equals-ignore-case match pattern must be a string');
      requireSingleKey(keys, ONLY_ONE_KEY);
      return { kind: 'equals-ignore-case', value };
    }
    case 'wildcard': {
      const value = requireString(operand, 'wildcard match pattern must be a string');
      const pattern = parseWildcard(value);
      requireSingleKey(keys, ONLY_ONE_KEY);
      return { kind: 'wildcard', pattern };
    }
    case 'numeric': {
      if (!Array.isArray(operand)) throw new InvalidEventPatternError('Value of numeric must be an array.');
      const range = parseNumericRange(operand);
      requireSingleKey(keys, TOO_MANY_NUMERIC_ELEMENTS);
      return { kind: 'numeric', range };
    }
    case 'exists': {
      if (typeof operand !== 'boolean') {
        throw new InvalidEventPatternError('exists match pattern must be either true or false.');
      }
      requireSingleKey(keys, ONLY_ONE_KEY);
      return { kind: 'exists', exists: operand };
    }
    case 'cidr': {
      // Sic: event-ruler (and so the live service, per LocalStack's snapshot) reuses the prefix message here.
      const block = parseCidrBlock(requireString(operand, 'prefix match pattern must be a string'));
      requireSingleKey(keys, ONLY_ONE_KEY);
      return { kind: 'cidr', block };
    }
    case 'anything-but': {
      const exclusion = parseAnythingBut(operand);
      // event-ruler reports any extra key after anything-but with its numeric message.
      requireSingleKey(keys, TOO_MANY_NUMERIC_ELEMENTS);
      return { kind: 'anything-but', exclusion };
    }
    default:
      throw new InvalidEventPatternError(`Unrecognized match type ${operator}`);
  }
}

function parsePrefixOrSuffix(operator: 'prefix' | 'suffix', operand: unknown): Alternative {
  if (!isJsonObject(operand)) {
    const value = requireString(operand, `${operator} match pattern must be a string`);
    return { kind: operator, value, ignoreCase: false };
  }
  const keys = Object.keys(operand);
  const [nested] = keys;
  const title = operator === 'prefix' ? 'Prefix' : 'Suffix';
  if (nested === undefined) throw new InvalidEventPatternError(`${title} expression name not found`);
  if (nested !== 'equals-ignore-case') {
    throw new InvalidEventPatternError(`Unsupported ${operator} pattern: ${nested}`);
  }
  const value = requireString(operand[nested], 'equals-ignore-case match pattern must be a string');
  requireSingleKey(keys, ONLY_ONE_KEY);
  return { kind: operator, value, ignoreCase: true };
}

function parseNumericRange(operands: readonly unknown[]): NumericRange {
  const [operator, value] = operands;
  if (typeof operator !== 'string') {
    throw new InvalidEventPatternError(`Invalid member in numeric match: ${jsonTokenText(operator)}`);
  }
  switch (operator) {
    case '=': {
      const equal = requireNumber(value, 'Value of equals must be numeric');
      if (operands.length > 2) throw new InvalidEventPatternError(TOO_MANY_NUMERIC_ELEMENTS);
      return { lower: equal, lowerInclusive: true, upper: equal, upperInclusive: true };
    }
    case '<':
    case '<=': {
      const upper = requireNumber(value, `Value of ${operator} must be numeric`);
      if (operands.length > 2) throw new InvalidEventPatternError(TOO_MANY_NUMERIC_ELEMENTS);
      return { lower: undefined, lowerInclusive: false, upper, upperInclusive: operator === '<=' };
    }
    case '>':
    case '>=': {
      const lower = requireNumber(value, `Value of ${operator} must be numeric`);
      const lowerInclusive = operator === '>=';
      if (operands.length === 2) return { lower, lowerInclusive, upper: undefined, upperInclusive: false };
      return parseUpperBound(operands, lower, lowerInclusive);
    }
    default:
      throw new InvalidEventPatternError(`Unrecognized numeric range operator: ${operator}`);
  }
}

function parseUpperBound(operands: readonly unknown[], lower: number, lowerInclusive: boolean): NumericRange {
  const [, , operator, value] = operands;
  if (typeof operator !== 'string') {
    throw new InvalidEventPatternError(`Bad value in numeric range: ${jsonTokenText(operator)}`);
  }
  if (operator !== '<' && operator !== '<=') {
    throw new InvalidEventPatternError(`Bad numeric range operator: ${operator}`);
  }
  const upper = requireNumber(value, `Value of ${operator} must be numeric`);
  if (operands.length > 4) throw new InvalidEventPatternError('Too many terms in numeric range expression');
  if (lower >= upper) throw new InvalidEventPatternError('Bottom must be less than top');
  return { lower, lowerInclusive, upper, upperInclusive: operator === '<=' };
}

function parseAnythingBut(operand: unknown): Exclusion {
  if (isJsonObject(operand)) return parseNestedAnythingBut(operand);
  if (typeof operand === 'string' || typeof operand === 'number')
    return { kind: 'values', values: [operand] };
  if (!Array.isArray(operand)) throw new InvalidEventPatternError(ANYTHING_BUT_VALUE);
  let strings = 0;
  let numbers = 0;
  for (const value of operand) {
    if (typeof value === 'string') strings++;
    else if (typeof value === 'number') numbers++;
    else throw new InvalidEventPatternError('Inside anything but list, start|null|boolean is not supported.');
  }
  if (strings > 0 === numbers > 0) {
    throw new InvalidEventPatternError(
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    );
  }
  return { kind: 'values', values: operand as (string | number)[] };
}

function parseNestedAnythingBut(operand: JsonObject): Exclusion {
  const keys = Object.keys(operand);
  const [operator] = keys;
  if (operator === undefined) throw new InvalidEventPatternError('Anything-But expression name not found');
  if (
    operator !== 'prefix' &&
    operator !== 'suffix' &&
    operator !== 'equals-ignore-case' &&
    operator !== 'wildcard'
  ) {
    throw new InvalidEventPatternError(`Unsupported anything-but pattern: ${operator}`);
  }
  const value = operand[operator];
  if (!Array.isArray(value) && typeof value !== 'string' && typeof value !== 'number') {
    throw new InvalidEventPatternError(ANYTHING_BUT_VALUE);
  }
  const texts = (Array.isArray(value) ? value : [value]).map((text) => nestedAnythingButText(operator, text));
  requireSingleKey(keys, TOO_MANY_NUMERIC_ELEMENTS);
  switch (operator) {
    case 'prefix':
      return { kind: 'prefixes', values: texts };
    case 'suffix':
      return { kind: 'suffixes', values: texts };
    case 'equals-ignore-case':
      return { kind: 'equals-ignore-case', values: texts };
    case 'wildcard':
      return { kind: 'wildcards', patterns: texts.map(parseWildcard) };
  }
}

// An empty nested list is accepted, as event-ruler accepts it; it excludes nothing.
function nestedAnythingButText(operator: string, value: unknown): string {
  if (typeof value !== 'string') {
    if (operator === 'equals-ignore-case') {
      throw new InvalidEventPatternError(
        'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
      );
    }
    if (operator === 'wildcard')
      throw new InvalidEventPatternError('wildcard match pattern must be a string');
    throw new InvalidEventPatternError('prefix/suffix match pattern must be a string');
  }
  if ((operator === 'prefix' || operator === 'suffix') && value === '') {
    throw new InvalidEventPatternError('Null prefix/suffix not allowed');
  }
  return value;
}

function requireSingleKey(keys: readonly string[], reason: string) {
  if (keys.length > 1) throw new InvalidEventPatternError(reason);
}

function requireString(value: unknown, reason: string): string {
  if (typeof value !== 'string') throw new InvalidEventPatternError(reason);
  return value;
}

function requireNumber(value: unknown, reason: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidEventPatternError(reason);
  return value;
}

// What Jackson's getText() shows for a token, for the messages that quote the offending member.
function jsonTokenText(value: unknown): string {
  if (value === undefined) return ']';
  if (Array.isArray(value)) return '[';
  if (isJsonObject(value)) return '{';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON scalar: a string, number, boolean or null. */
export function isLeaf(value: unknown): value is Leaf {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || value === null;
}
