/**
 * Lambda's asynchronous retry policy: after a function error, wait 1 minute, then 2 (scaled for a
 * local stack), up to the function's `asyncRetryAttempts`; an event older than
 * `asyncMaxEventAgeSeconds` is not run again.
 *
 * Sources: AWS Lambda Developer Guide, asynchronous invocation
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html: the first retry after one
 * minute, the second after two), and `AWS::Lambda::EventInvokeConfig` in the CloudFormation User
 * Guide (twice by default on a function error; events kept up to six hours; maximum event age 60 s
 * to 6 hours).
 */

import type { FunctionSpec } from '#wiring/functions.ts';

/** Lambda's gaps before the first and second retry, in ms. */
export const LAMBDA_RETRY_GAPS_MS = [60_000, 120_000] as const;

/** The gap before the retry after attempt `attempts` (1-based), scaled, never under 1 ms. */
export function retryGapMs(attempts: number, scale: number): number {
  return Math.max(1, Math.round((LAMBDA_RETRY_GAPS_MS[attempts - 1] ?? LAMBDA_RETRY_GAPS_MS[1]) * scale));
}

/**
 * After a failed attempt: the gap before the next one, or `undefined` to give up (retries spent).
 * `attempts` counts the attempts made so far, the first included.
 */
export function nextRetryGapMs(attempts: number, spec: FunctionSpec, scale: number): number | undefined {
  return attempts <= spec.asyncRetryAttempts ? retryGapMs(attempts, scale) : undefined;
}

/** Whether an event queued at `enqueuedAt` is past the function's maximum event age at `now`. */
export function isPastMaxEventAge(enqueuedAt: number, spec: FunctionSpec, now: number): boolean {
  return now - enqueuedAt > spec.asyncMaxEventAgeSeconds * 1000;
}
