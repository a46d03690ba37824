import type { FailureCode } from '#contracts/names.ts';
import { failureMessage } from '#core/async-failure.ts';

/** Base of the provision handler's errors; `cause` flows through. */
export class ProvisionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProvisionError';
  }
}

/**
 * A retryable launch outcome (capacity, throttling, a server error) outlasted the retries this
 * invocation had time for. Thrown so the platform retries the event; its message is
 * `CODE: reason` (`failureMessage`), which the failure reporter reads the code back from once the
 * platform's retries are spent too.
 */
export class LaunchRetriesSpentError extends ProvisionError {
  readonly code: FailureCode;
  constructor(code: FailureCode, reason: string, options?: ErrorOptions) {
    super(failureMessage(code, reason), options);
    this.name = 'LaunchRetriesSpentError';
    this.code = code;
  }
}
