/**
 * What a previous process left in the invocation store, picked up on start: queued invocations go
 * back to their queues; an attempt a crash cut short counts as a failed attempt (like a Lambda
 * environment that crashed) and follows the retry rules.
 */

import type { FunctionQueues } from './function-queue.ts';
import { fromStored } from './invocation.ts';
import type { InvocationFailures } from './invocation-failures.ts';
import type { InvocationStore } from './invocation-store.ts';

/** The error an interrupted attempt is recorded with. */
export const INTERRUPTED_ATTEMPT_ERROR = {
  errorType: 'Runtime.ExitError',
  errorMessage: 'the local stack stopped while the invocation was running',
  trace: [],
} as const;

/** Requeues or fails each open invocation of a function the queues know; answers the counts. */
export function recoverOpenInvocations(
  store: Pick<InvocationStore, 'open'>,
  queues: Pick<FunctionQueues, 'has' | 'laneOf' | 'enqueue'>,
  failures: Pick<InvocationFailures, 'afterFailure'>,
): { queued: number; interrupted: number } {
  let queued = 0;
  let interrupted = 0;
  for (const row of store.open()) {
    if (!queues.has(row.functionName)) continue;
    const invocation = fromStored(row);
    if (row.status === 'running') {
      interrupted++;
      failures.afterFailure(queues.laneOf(row.functionName), invocation, {
        ...INTERRUPTED_ATTEMPT_ERROR,
        trace: [],
      });
    } else {
      queued++;
      queues.enqueue(invocation);
    }
  }
  return { queued, interrupted };
}
