/**
 * The dice behind fault injection: uniform numbers in [0, 1). With a seed they are mulberry32, so the
 * same seed and the same sequence of calls inject the same faults run after run; without one they
 * are `Math.random`.
 *
 * Each emulator rolls its own stream (a different `stream` number mixed into the seed), so the
 * faults one service injects do not depend on how its calls interleave with the other's.
 *
 * @example
 * ```ts
 * const roll = createFaultDice(42, 1);
 * if (roll() < faults.capacityFailureRate) { ... }
 * ```
 */
export function createFaultDice(seed: number | undefined, stream = 0): () => number {
  if (seed === undefined) return Math.random;
  let state = (Math.trunc(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  return function roll(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fault streams of the local stack's emulators. */
export const FAULT_STREAMS = { ecs: 1, putEvents: 2 } as const;
