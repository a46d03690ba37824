/** An asynchronous invocation in memory, its error, and how one is read back from the store. */

import type { Context } from 'aws-lambda';
import type { FunctionName, FunctionSpec } from '#wiring/functions.ts';
import type { StoredInvocation } from './invocation-store.ts';
import { readStoredError } from './stored-error.ts';

/** An async Lambda handler, as the handler factories return it (middy-wrapped). */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** One function of the stack: its settings from wiring/flows.ts and its real handler. */
export interface FunctionDeployment {
  readonly spec: FunctionSpec;
  readonly handler: LambdaHandler;
  /** Reserved concurrency; unreserved functions get `unreservedConcurrency` each. */
  readonly reservedConcurrency?: number;
}

/** The error of a failed attempt, as Lambda reports it in an on-failure record. */
export interface InvocationError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** Why an invocation was given up (Lambda's `requestContext.condition`). */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** An invocation in memory. `event` is for observers; every attempt gets a fresh parse of `payload`. */
export interface Invocation {
  readonly id: number;
  readonly functionName: FunctionName;
  readonly requestId: string;
  readonly origin: string;
  readonly payload: string;
  readonly event: unknown;
  readonly enqueuedAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: InvocationError | undefined;
}

/** What the invoker reports, for the stack's log lines. */
export interface InvokerObserver {
  succeeded?(invocation: Invocation, durationMs: number): void;
  retrying?(invocation: Invocation, error: InvocationError, delayMs: number): void;
  failed?(
    invocation: Invocation,
    condition: FailureCondition,
    error: InvocationError | undefined,
    destinations: { readonly onFailure?: FunctionName; readonly deadLetterQueue: boolean },
  ): void;
  /** The invoker's own bookkeeping failed (a bug or a broken store). */
  error?(error: unknown): void;
}

/** An invocation as a previous process left it in the store. */
export function fromStored(row: StoredInvocation): Invocation {
  let event: unknown;
  try {
    event = JSON.parse(row.payload);
  } catch {
    event = undefined;
  }
  return {
    id: row.id,
    functionName: row.functionName as FunctionName,
    requestId: row.requestId,
    origin: row.origin,
    payload: row.payload,
    event,
    enqueuedAt: row.enqueuedAt,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError ? readStoredError(row.lastError) : undefined,
  };
}
