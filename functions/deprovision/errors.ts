/**
 * v1.3: errors the deprovision flow throws for the platform to retry. A throw fails the
 * invocation; Lambda retries the event (the idempotency record of the failed attempt is released),
 * and the deprovision, idempotent, runs again.
 */

/**
 * An erase could not finish within the invocation: a task of the workspace has not stopped yet, a
 * snapshot is still pending, or a volume or snapshot is still in use. Retryable: each of these
 * moves on by itself within minutes.
 */
export class DataEraseBlockedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DataEraseBlockedError';
  }
}
