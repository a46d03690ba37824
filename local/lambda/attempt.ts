/** One attempt of an invocation: the handler called with a Lambda-like timeout, its error in Lambda's shape. */

import type { Context } from 'aws-lambda';
import { lambdaContext } from './context.ts';
import type { Lane } from './function-queue.ts';
import type { Invocation, InvocationError, LambdaHandler } from './invocation.ts';
import type { SuccessBatch } from './success-batch.ts';

/** What an attempt reports to; built once per invoker. */
export interface AttemptContext {
  readonly region: string;
  readonly account: string;
  readonly now: () => number;
  /** A failed attempt: retry or give up. */
  readonly afterFailure: (lane: Lane, invocation: Invocation, error: InvocationError) => void;
  readonly successes: SuccessBatch;
  readonly observer: { error?(error: unknown): void };
}

/**
 * Runs one started attempt: counts it, calls the handler with a fresh parse of the payload and a
 * Lambda-like context, then adds a success to the batch or hands the error on. Never rejects: a
 * failure of the bookkeeping itself goes to the observer.
 */
export async function runAttempt(context: AttemptContext, lane: Lane, invocation: Invocation): Promise<void> {
  const { region, account, now } = context;
  const { spec, handler } = lane.deployment;
  try {
    invocation.attempts++;
    const started = now();
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    const lambda = lambdaContext({ spec, region, account, awsRequestId: invocation.requestId, deadline });
    const event = JSON.parse(invocation.payload);
    const error = await callWithTimeout(handler, event, lambda, spec.timeoutSeconds);
    if (error) {
      context.afterFailure(lane, invocation, error);
      return;
    }
    const at = now();
    context.successes.add(invocation, at, at - started);
  } catch (error) {
    context.observer.error?.(error);
  }
}

/** Runs one attempt; resolves with the error, or undefined on success. Times out like Lambda. */
export async function callWithTimeout(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  timeoutSeconds: number,
): Promise<InvocationError | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<InvocationError>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
          trace: [],
        }),
      timeoutSeconds * 1000,
    );
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(() => handler(event, context))
        .then(
          () => undefined,
          (error: unknown) => toInvocationError(error),
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lambda's error shape: `errorType` is the error's name, `trace` its stack lines. */
export function toInvocationError(error: unknown): InvocationError {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n').slice(0, 20),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}
