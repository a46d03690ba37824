/**
 * The recovery policy (v1.2): whether a workspace whose task stopped is relaunched, after how long,
 * and when a crash loop is cut. Pure: the caller passes the stop's cause, the request's `recovery`
 * mode, the recoveries its record keeps and the settings, and records what comes back.
 *
 * - Only a stop the workspace did not ask for and that a new task may cure is recovered: `crashed`,
 *   `out-of-memory` and `infrastructure`. `requested` (a deprovision, a restart, an operator) is a
 *   choice to respect; `failed-to-start` and `timed-out` are already reported as a failed launch
 *   and retried (or not) there.
 * - The backoff doubles with each recovery in the window, `min(base × 2^(attempt − 1), 120 s)`, so a
 *   crash loop slows down before it is cut.
 * - At most `maxAttempts` recoveries within `windowMs`: the stop after the last of them abandons.
 */
import type { RecoveryMode, StopCause } from '#contracts/names.ts';
import { RecoveryPolicyError } from './errors.ts';

/** The stop causes a relaunch may cure. */
export const RECOVERABLE_STOP_CAUSES: readonly StopCause[] = ['crashed', 'out-of-memory', 'infrastructure'];

/** The longest backoff, however many recoveries came before. */
export const MAX_RECOVERY_BACKOFF_MS = 120_000;

/** What {@link decideRecovery} reads. */
export interface RecoveryInput {
  /** Why the task stopped (core/stop-cause.ts). */
  readonly cause: StopCause;
  /** The request's `recovery`. */
  readonly mode: RecoveryMode;
  /** Epoch ms of the recoveries the workspace record keeps, oldest first. */
  readonly recoveries: readonly number[];
  /** Epoch ms of the decision. */
  readonly now: number;
  /** The most recoveries allowed within the window (deploy option `recoveryAttempts`, 5 by default). */
  readonly maxAttempts: number;
  /** The crash-loop window in ms (deploy option `recoveryWindowSeconds`, 1800 s by default). */
  readonly windowMs: number;
  /** The first recovery's backoff in ms (10 s on AWS, 2 s locally by default). */
  readonly backoffBaseMs: number;
}

/** Nothing to do: the stop is not one to recover from, or recovery is off. */
export interface NoRecovery {
  readonly action: 'none';
}

/** Relaunch after `backoffMs`; store `recoveries` (the window's, plus this one) on the record. */
export interface Recover {
  readonly action: 'recover';
  /** The n-th recovery within the window, from 1. */
  readonly attempt: number;
  readonly backoffMs: number;
  /** The recoveries within the window, oldest first, ending with this one (`now`). */
  readonly recoveries: readonly number[];
}

/** The crash-loop limit is reached: report `Workspace Recovery Abandoned` and launch nothing. */
export interface AbandonRecovery {
  readonly action: 'abandon';
  /** The recoveries made within the window. */
  readonly attempts: number;
}

export type RecoveryDecision = NoRecovery | Recover | AbandonRecovery;

/** The backoff before the n-th recovery: `min(base × 2^(attempt − 1), 120 s)`. */
export function recoveryBackoffMs(attempt: number, backoffBaseMs: number): number {
  return Math.min(backoffBaseMs * 2 ** (attempt - 1), MAX_RECOVERY_BACKOFF_MS);
}

/** The recoveries younger than the window at `now`, oldest first. */
export function recoveriesWithin(recoveries: readonly number[], now: number, windowMs: number): number[] {
  return recoveries.filter((at) => now - at < windowMs).sort((a, b) => a - b);
}

function checkSettings(input: RecoveryInput): void {
  if (!Number.isInteger(input.maxAttempts) || input.maxAttempts < 0) {
    throw new RecoveryPolicyError(
      `recovery attempts must be a whole number of at least 0, not ${input.maxAttempts}`,
    );
  }
  if (!(input.windowMs > 0)) {
    throw new RecoveryPolicyError(`the recovery window must be longer than 0 ms, not ${input.windowMs}`);
  }
  if (!(input.backoffBaseMs >= 0)) {
    throw new RecoveryPolicyError(`the recovery backoff must be at least 0 ms, not ${input.backoffBaseMs}`);
  }
}

/**
 * Decides what follows a stop.
 *
 * @example
 * // maxAttempts 2: the first two crashes recover (attempts 1 and 2), the third abandons.
 * decideRecovery({ cause: 'crashed', mode: 'on-failure', recoveries: [t1, t2], now, maxAttempts: 2,
 *   windowMs: 1_800_000, backoffBaseMs: 10_000 }) // { action: 'abandon', attempts: 2 }
 */
export function decideRecovery(input: RecoveryInput): RecoveryDecision {
  checkSettings(input);
  if (input.mode === 'never' || !RECOVERABLE_STOP_CAUSES.includes(input.cause)) return { action: 'none' };
  const recent = recoveriesWithin(input.recoveries, input.now, input.windowMs);
  if (recent.length >= input.maxAttempts) return { action: 'abandon', attempts: recent.length };
  const attempt = recent.length + 1;
  return {
    action: 'recover',
    attempt,
    backoffMs: recoveryBackoffMs(attempt, input.backoffBaseMs),
    recoveries: [...recent, input.now],
  };
}
