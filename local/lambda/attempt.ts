/** One attempt of an invocation: the handler called with a Lambda-like timeout, its error in Lambda's shape. */

import type { Context } from 'aws-lambda';
import type { InvocationError, LambdaHandler } from './invocation.ts';

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
