import type { FailureCode } from '#contracts/names.ts';
import { failureMessage } from '#core/async-failure.ts';
import { CROSS_FUNCTION_ERRORS } from '#wiring/names.ts';

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
    this.name = CROSS_FUNCTION_ERRORS.launchRetriesSpent;
    this.code = code;
  }
}

/**
 * The request breaks the contract, but its `Workspace Provision Rejected` event could not be
 * published even after retries. Thrown so the platform retries; once it gives up, the failure
 * reporter leaves the request to the DLQ (DESIGN: a rejection where possible, otherwise the DLQ
 * with the reason attached) instead of calling a bad request a failed launch.
 */
export class RejectionNotPublishedError extends ProvisionError {
  constructor(options?: ErrorOptions) {
    super('the request breaks the contract and its rejection could not be published', options);
    this.name = CROSS_FUNCTION_ERRORS.rejectionNotPublished;
  }
}
