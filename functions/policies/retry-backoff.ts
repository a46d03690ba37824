/** Exponential backoff with a cap. */
export interface BackoffPolicy {
  /** Delay ceiling of the first retry. */
  readonly baseDelayMs: number;
  /** Ceiling of every delay. */
  readonly maxDelayMs: number;
}

/**
 * "Full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform delay in
 * [0, min(max, base * 2^attempt)). It spreads a burst of retries, which matters when many
 * invocations hit the same ECS or EventBridge quota at once.
 *
 * @param attempt 0 for the first retry.
 * @param random a source in [0, 1).
 */
export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
