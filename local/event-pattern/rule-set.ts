import {
  type CompiledEventPattern,
  type CompileEventPatternOptions,
  compileEventPattern,
  exactStringsByBranch,
} from './compile.ts';
import { stringLeavesAt } from './event-paths.ts';

// Beyond this many (source, detail-type) pairs a rule is indexed by source alone; the cross-product of two
// long lists would cost more memory than it saves time.
const MAX_PAIR_KEYS = 1024;

type Placement =
  | { readonly kind: 'source-and-detail-type'; readonly pairs: readonly (readonly [string, string])[] }
  | { readonly kind: 'source' | 'detail-type'; readonly keys: readonly string[] }
  | { readonly kind: 'unindexed' };

interface RuleEntry<T> {
  readonly id: string;
  /** Position of the rule's first `add`; results come back in this order. */
  readonly sequence: number;
  readonly compiled: CompiledEventPattern;
  readonly value: T;
  readonly placement: Placement;
}

/**
 * The rules of one event bus, indexed for routing.
 *
 * Most rules pin `source` and `detail-type` to exact strings, so each rule is filed under the exact values
 * it requires there, when every `$or` branch requires some: under (source, detail-type) pairs, else under
 * sources, else under detail-types. The rest go on an unindexed list that every event is tested against.
 * An event then only runs the full patterns of rules in its own buckets, and the answer is the same as
 * testing every rule.
 *
 * @example
 * ```ts
 * const bus = new EventRuleSet<Target[]>();
 * bus.add('provision', { source: ['platform.workspace-server'] }, targets);
 * for (const targets of bus.match(event)) deliver(event, targets);
 * ```
 */
export class EventRuleSet<T> {
  readonly #options: CompileEventPatternOptions;
  readonly #entries = new Map<string, RuleEntry<T>>();
  readonly #bySourceAndDetailType = new Map<string, Map<string, RuleEntry<T>[]>>();
  readonly #bySource = new Map<string, RuleEntry<T>[]>();
  readonly #byDetailType = new Map<string, RuleEntry<T>[]>();
  readonly #unindexed: RuleEntry<T>[] = [];
  #nextSequence = 0;

  /** @param options passed to {@link compileEventPattern} for every rule. */
  constructor(options: CompileEventPatternOptions = {}) {
    this.#options = options;
  }

  /**
   * Adds a rule, or replaces the rule with the same id (keeping its place in the match order, as PutRule
   * on an existing rule keeps the rule).
   *
   * @throws InvalidEventPatternError when the pattern is not valid; the set is then unchanged.
   */
  add(id: string, pattern: string | unknown, value: T): void {
    const compiled = compileEventPattern(pattern, this.#options);
    const existing = this.#entries.get(id);
    if (existing !== undefined) this.#unfile(existing);
    const entry: RuleEntry<T> = {
      id,
      sequence: existing?.sequence ?? this.#nextSequence++,
      compiled,
      value,
      placement: placementOf(compiled),
    };
    this.#file(entry);
    this.#entries.set(id, entry);
  }

  /** Removes a rule. Returns false when there was no rule with that id. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#unfile(entry);
    this.#entries.delete(id);
    return true;
  }

  /** All values whose pattern matches the event, in the order their rules were first added. */
  match(event: unknown): T[] {
    if (this.#entries.size === 0) return [];
    // Buckets are chosen from the event's top-level keys; anything else (an array at the root, say)
    // takes the slow road so the answer never depends on the index.
    if (typeof event !== 'object' || event === null || Array.isArray(event))
      return this.#matchEveryRule(event);
    const sources = stringLeavesAt(event, 'source');
    const detailTypes = stringLeavesAt(event, 'detail-type');
    const matched: RuleEntry<T>[] = [];
    let listsWithMatches = 0;
    for (const source of sources) {
      if (this.#collect(this.#bySource.get(source), event, matched)) listsWithMatches++;
      const byDetailType = this.#bySourceAndDetailType.get(source);
      if (byDetailType === undefined) continue;
      for (const detailType of detailTypes) {
        if (this.#collect(byDetailType.get(detailType), event, matched)) listsWithMatches++;
      }
    }
    for (const detailType of detailTypes) {
      if (this.#collect(this.#byDetailType.get(detailType), event, matched)) listsWithMatches++;
    }
    if (this.#collect(this.#unindexed, event, matched)) listsWithMatches++;
    // One bucket is already in order and cannot repeat a rule; several must be merged. A rule can sit in
    // several buckets, so an event with several sources or detail-types can reach it twice.
    if (listsWithMatches > 1 || sources.length > 1 || detailTypes.length > 1) {
      return [...new Set(matched)].sort(bySequence).map((entry) => entry.value);
    }
    return matched.map((entry) => entry.value);
  }

  /** Number of rules in the set. */
  get size(): number {
    return this.#entries.size;
  }

  #collect(entries: readonly RuleEntry<T>[] | undefined, event: unknown, matched: RuleEntry<T>[]): boolean {
    if (entries === undefined) return false;
    let found = false;
    for (const entry of entries) {
      if (entry.compiled.matches(event)) {
        matched.push(entry);
        found = true;
      }
    }
    return found;
  }

  #matchEveryRule(event: unknown): T[] {
    return [...this.#entries.values()]
      .sort(bySequence)
      .filter((entry) => entry.compiled.matches(event))
      .map((entry) => entry.value);
  }

  #file(entry: RuleEntry<T>) {
    for (const bucket of this.#bucketsOf(entry, true)) insertBySequence(bucket, entry);
  }

  #unfile(entry: RuleEntry<T>) {
    for (const bucket of this.#bucketsOf(entry, false)) {
      const index = bucket.indexOf(entry);
      if (index !== -1) bucket.splice(index, 1);
    }
    this.#pruneEmptyBuckets(entry.placement);
  }

  // The buckets a rule belongs in; `create` makes missing ones (filing), otherwise they are skipped.
  #bucketsOf(entry: RuleEntry<T>, create: boolean): RuleEntry<T>[][] {
    const { placement } = entry;
    switch (placement.kind) {
      case 'unindexed':
        return [this.#unindexed];
      case 'source':
        return placement.keys.flatMap((key) => optionalBucket(this.#bySource, key, create));
      case 'detail-type':
        return placement.keys.flatMap((key) => optionalBucket(this.#byDetailType, key, create));
      case 'source-and-detail-type':
        return placement.pairs.flatMap(([source, detailType]) => {
          let byDetailType = this.#bySourceAndDetailType.get(source);
          if (byDetailType === undefined) {
            if (!create) return [];
            byDetailType = new Map();
            this.#bySourceAndDetailType.set(source, byDetailType);
          }
          return optionalBucket(byDetailType, detailType, create);
        });
    }
  }

  #pruneEmptyBuckets(placement: Placement) {
    if (placement.kind === 'source') pruneKeys(this.#bySource, placement.keys);
    if (placement.kind === 'detail-type') pruneKeys(this.#byDetailType, placement.keys);
    if (placement.kind === 'source-and-detail-type') {
      for (const [source, detailType] of placement.pairs) {
        const byDetailType = this.#bySourceAndDetailType.get(source);
        if (byDetailType === undefined) continue;
        pruneKeys(byDetailType, [detailType]);
        if (byDetailType.size === 0) this.#bySourceAndDetailType.delete(source);
      }
    }
  }
}

function placementOf(compiled: CompiledEventPattern): Placement {
  const sources = exactStringsByBranch(compiled, 'source');
  const detailTypes = exactStringsByBranch(compiled, 'detail-type');
  const everySource = allDefined(sources);
  const everyDetailType = allDefined(detailTypes);
  if (everySource && everyDetailType) {
    const pairs = new Map<string, readonly [string, string]>();
    sources.forEach((branchSources, index) => {
      for (const source of branchSources ?? []) {
        for (const detailType of detailTypes[index] ?? []) {
          pairs.set(JSON.stringify([source, detailType]), [source, detailType]);
        }
      }
    });
    if (pairs.size <= MAX_PAIR_KEYS) return { kind: 'source-and-detail-type', pairs: [...pairs.values()] };
  }
  if (everySource) return { kind: 'source', keys: unionOf(sources) };
  if (everyDetailType) return { kind: 'detail-type', keys: unionOf(detailTypes) };
  return { kind: 'unindexed' };
}

function allDefined(
  sets: ReadonlyArray<ReadonlySet<string> | undefined>,
): sets is ReadonlyArray<ReadonlySet<string>> {
  return sets.length > 0 && sets.every((set) => set !== undefined);
}

function unionOf(sets: ReadonlyArray<ReadonlySet<string> | undefined>): string[] {
  const union = new Set<string>();
  for (const set of sets) for (const value of set ?? []) union.add(value);
  return [...union];
}

function optionalBucket<T>(buckets: Map<string, T[]>, key: string, create: boolean): T[][] {
  let bucket = buckets.get(key);
  if (bucket === undefined) {
    if (!create) return [];
    bucket = [];
    buckets.set(key, bucket);
  }
  return [bucket];
}

function pruneKeys<T>(buckets: Map<string, T[]>, keys: readonly string[]) {
  for (const key of keys) if (buckets.get(key)?.length === 0) buckets.delete(key);
}

function insertBySequence<T>(bucket: RuleEntry<T>[], entry: RuleEntry<T>) {
  const last = bucket[bucket.length - 1];
  if (last === undefined || last.sequence < entry.sequence) {
    bucket.push(entry);
    return;
  }
  // A replaced rule keeps its old sequence, so it may belong before rules added after it.
  let low = 0;
  let high = bucket.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((bucket[middle]?.sequence ?? 0) < entry.sequence) low = middle + 1;
    else high = middle;
  }
  bucket.splice(low, 0, entry);
}

function bySequence<T>(left: RuleEntry<T>, right: RuleEntry<T>): number {
  return left.sequence - right.sequence;
}
