import type { QuotaOptions } from '../interfaces.ts';
import { EcsEmulatorError } from './errors.ts';

/** A token bucket: `burst` tokens, refilled at `ratePerSecond`, as ECS meters its API and task launches. */
export interface TokenBucket {
  /** Takes one token; false when the bucket is empty (the call is throttled). */
  tryTake(now: number): boolean;
}

/**
 * The RunTask quota emulation: starts full, refills continuously up to `burst`.
 *
 * @throws EcsEmulatorError when `burst` is below 1 or `ratePerSecond` is not positive.
 */
export function createTokenBucket(quota: QuotaOptions, now: number): TokenBucket {
  if (!(quota.burst >= 1) || !(quota.ratePerSecond > 0)) {
    throw new EcsEmulatorError(
      `quota needs burst >= 1 and ratePerSecond > 0 (got burst ${quota.burst}, ratePerSecond ${quota.ratePerSecond})`,
    );
  }
  let tokens = quota.burst;
  let refilledAt = now;
  return {
    tryTake(at) {
      if (at > refilledAt) {
        tokens = Math.min(quota.burst, tokens + ((at - refilledAt) / 1000) * quota.ratePerSecond);
        refilledAt = at;
      }
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
