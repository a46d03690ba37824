/**
 * The clock port: time, injectable so retries, leases and timeouts are testable without waiting.
 * The Lambda entries use `adapters/system-clock.ts`; tests pass a fake one.
 */

/** Time, injectable so retries and timeouts are testable without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
