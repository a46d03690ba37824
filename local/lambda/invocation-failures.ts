/**
 * What happens after a failed attempt: the next retry on Lambda's (scaled) gaps, or the invocation
 * given up, with its state, its dead-letter row and its on-failure record written in one transaction.
 */

import type { LocalDatabase } from '#local/interfaces.ts';
import type { FunctionName } from '#wiring/functions.ts';
import type { FunctionQueues, Lane } from './function-queue.ts';
import type { FailureCondition, Invocation, InvocationError, InvokerObserver } from './invocation.ts';
import type { InvocationStore } from './invocation-store.ts';
import { onFailureRecord, type RecordScope } from './on-failure-record.ts';
import { nextRetryGapMs } from './retry-policy.ts';
import { storedErrorText } from './stored-error.ts';

/** What {@link createInvocationFailures} works with. */
export interface InvocationFailuresOptions {
  readonly database: LocalDatabase;
  readonly store: Pick<InvocationStore, 'fail' | 'deadLetter' | 'requeue'>;
  readonly queues: Pick<FunctionQueues, 'enqueue' | 'has'>;
  /** Queues a new invocation inside the current transaction (the on-failure destination's). */
  readonly stage: (functionName: FunctionName, event: unknown, origin: string) => Invocation;
  readonly observer: Pick<InvokerObserver, 'retrying' | 'failed'>;
  readonly now: () => number;
  /** Multiplies Lambda's retry gaps. */
  readonly retryDelayScale: number;
  readonly scope: RecordScope;
}

export interface InvocationFailures {
  /** Retries spent or event too old: one transaction for the state, the DLQ and the on-failure record. */
  giveUp(lane: Lane, invocation: Invocation, condition: FailureCondition): void;
  /** After a failed attempt: the next retry, or give up. */
  afterFailure(lane: Lane, invocation: Invocation, error: InvocationError): void;
}

export function createInvocationFailures(options: InvocationFailuresOptions): InvocationFailures {
  const { database, store, queues, stage, observer, now, scope } = options;
  const scale = options.retryDelayScale;

  function giveUp(lane: Lane, invocation: Invocation, condition: FailureCondition): void {
    const { spec } = lane.deployment;
    const error = invocation.lastError;
    const at = now();
    let onFailure: Invocation | undefined;
    const settled = database.transaction(() => {
      if (!store.fail(invocation.id, error ? storedErrorText(error) : condition, at)) return false;
      if (spec.deadLetterQueue) {
        store.deadLetter({
          invocationId: invocation.id,
          functionName: spec.name,
          requestId: invocation.requestId,
          payload: invocation.payload,
          condition,
          errorType: error?.errorType ?? null,
          errorMessage: error?.errorMessage ?? null,
          attempts: invocation.attempts,
          now: at,
        });
      }
      if (spec.onFailure && queues.has(spec.onFailure)) {
        const record = onFailureRecord(invocation, spec, condition, at, scope);
        onFailure = stage(spec.onFailure, record, `on-failure:${invocation.id}`);
      }
      return true;
    });
    if (!settled) return;
    if (onFailure) queues.enqueue(onFailure);
    observer.failed?.(invocation, condition, error, {
      ...(onFailure ? { onFailure: spec.onFailure } : {}),
      deadLetterQueue: spec.deadLetterQueue,
    });
  }

  function afterFailure(lane: Lane, invocation: Invocation, error: InvocationError): void {
    invocation.lastError = error;
    const delay = nextRetryGapMs(invocation.attempts, lane.deployment.spec, scale);
    if (delay === undefined) {
      giveUp(lane, invocation, 'RetriesExhausted');
      return;
    }
    invocation.nextAttemptAt = now() + delay;
    store.requeue(invocation.id, invocation.nextAttemptAt, storedErrorText(error));
    observer.retrying?.(invocation, error, delay);
    queues.enqueue(invocation);
  }

  return { giveUp, afterFailure };
}
